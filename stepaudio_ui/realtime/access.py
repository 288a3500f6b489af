"""Who may use /v1/realtime, and what a connection talks to.

Access: with `realtime_token` set, a client must show it (`Authorization: Bearer`, or the
`openai-insecure-api-key.<token>` subprotocol browsers use); without it only loopback clients are
served, and only under a loopback name (`Host`) and from a loopback page (`Origin`), so a web page the
user happens to visit, even one whose name was rebound to 127.0.0.1, cannot drive the local endpoint.

Target: `?model=` is a persona slug, an engine name, or nothing; `&engine=NAME` picks the engine and
`&scene=SLUG` the scene tone (`&scene=none`: no scene tone). The persona is the one `?model=` names, else
the server's `STEPAUDIO_DEFAULT_PERSONA`, else none: a plain assistant that the client instructs with
`session.update`, as on OpenAI's own endpoint (never whichever persona happens to come first). The scene
follows `scene_choice`: the one named, else the persona's home scene, else none. Clients reach what a
viewer may: published versions only.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from dataclasses import dataclass
from typing import Any

from fastapi import WebSocket

from model.events import DEFAULT_SAMPLE_RATE, SessionConfig
from model.protocol import Engine
from stepaudio_ui.context import AppContext
from stepaudio_ui.studio.roles import Role
from stepaudio_ui.web.host_names import hostname_of, is_loopback_name, origin_hostname

log = logging.getLogger(__name__)

SUBPROTOCOL_KEY_PREFIX = "openai-insecure-api-key."  # browsers can't set headers; the key rides here


class RealtimeRefused(Exception):
    """This connection can't go ahead; the message (reason + fix) goes to the client before closing."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ResolvedTarget:
    engine_name: str
    engine: Engine
    config: SessionConfig
    resolved: Any  # stepaudio_ui.live.session.ResolvedSession, or None without a persona


# --------------------------------------------------------------------------- who may connect


def offered_subprotocols(ws: WebSocket) -> list[str]:
    header = ws.headers.get("sec-websocket-protocol", "")
    return [p.strip() for p in header.split(",") if p.strip()]


def _presented_token(ws: WebSocket) -> str | None:
    auth = ws.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    for proto in offered_subprotocols(ws):
        if proto.startswith(SUBPROTOCOL_KEY_PREFIX):
            return proto[len(SUBPROTOCOL_KEY_PREFIX) :]
    return None


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def check_access(ws: WebSocket, token: str | None) -> None:
    """Raise RealtimeRefused unless the client shows the configured token (or, with none, is loopback)."""
    if token:
        presented = _presented_token(ws)
        if presented is None:
            raise RealtimeRefused(
                "this endpoint needs a token: send 'Authorization: Bearer <STEPAUDIO_REALTIME_TOKEN>'",
                code="missing_token",
            )
        if not hmac.compare_digest(presented.encode(), token.encode()):
            raise RealtimeRefused("the token is wrong: use the server's STEPAUDIO_REALTIME_TOKEN", code="invalid_token")
        return
    host = ws.client.host if ws.client else None
    if not _is_loopback(host):
        raise RealtimeRefused(
            f"without STEPAUDIO_REALTIME_TOKEN set this endpoint only serves loopback clients (you are {host}): "
            "set a token on the server to open it to the network",
            code="loopback_only",
        )
    # A DNS-rebinding page reaches 127.0.0.1 under its own name, so Origin == Host proves nothing:
    # without a token, both must be loopback names.
    authority = ws.headers.get("host")
    if authority is not None and not is_loopback_name(hostname_of(authority)):
        raise RealtimeRefused(
            f"without STEPAUDIO_REALTIME_TOKEN this endpoint answers only to a loopback name (127.0.0.1, "
            f"localhost), not {authority!r}: set a token on the server to serve other names",
            code="loopback_host_only",
        )
    origin = ws.headers.get("origin")
    if origin and not is_loopback_name(origin_hostname(origin)):
        raise RealtimeRefused(
            f"a web page from {origin} may not use this endpoint without a token: "
            "set STEPAUDIO_REALTIME_TOKEN and have the page send it",
            code="foreign_origin",
        )


# --------------------------------------------------------------------------- what to talk to


def _default_engine_name(ctx: AppContext) -> str:
    """The same default as the Live tab (`engines.default_engine_name`); the chosen engine must be usable."""
    from stepaudio_ui.engines import default_engine_name

    name = default_engine_name(ctx.engines)
    if name is None or not ctx.engines[name].availability().usable:
        raise RealtimeRefused("no voice engine is available on this server", code="no_engine")
    return name


# What a /v1/realtime client may reach of the library: what a viewer may (published versions only).
REALTIME_ROLE: Role = "viewer"


def _published_number(session: Any, kind: str, slug: str) -> int | None:
    """The published version of a live item; None for a draft, an archived or a missing item."""
    from stepaudio_ui.studio import library as studio

    identity = studio.find_identity(session, studio.kind_models(kind), slug)
    return identity.published_version if identity is not None and not identity.archived else None


def _persona_version(session: Any, slug: str) -> Any:
    """The persona version a connection talks to (a studio VersionView): the published version of a persona
    that is not archived. Drafts and archived personas are not served (LookupError, as for a missing one)."""
    from stepaudio_ui.studio import library as studio

    number = _published_number(session, "persona", slug)
    if number is None:
        raise LookupError(f"no published persona '{slug}'")
    return studio.get_version(session, kind="persona", slug=slug, number=number)


def _compose(
    ctx: AppContext, persona_slug: str | None, engine_name: str, scene: str | None, brain: str | None = None
) -> tuple[SessionConfig, Any]:
    """(persona, scene tone) composed exactly as the Live panel does; no persona gives a plain config.
    Returns the config and the live_session.ResolvedSession (None without a persona)."""
    from stepaudio_ui.live.session import LiveSelection, resolve_session
    from stepaudio_ui.studio.library import StudioError
    from stepaudio_ui.studio.scene_choice import SceneChoiceError, choose_scene
    from stepaudio_ui.studio.specs import NO_SCENE

    slug = persona_slug or ctx.settings.default_persona
    if not slug:
        if scene and scene != NO_SCENE:
            raise RealtimeRefused(
                f"?scene={scene[:63]} needs a persona: add ?model=PERSONA_SLUG, or set STEPAUDIO_DEFAULT_PERSONA "
                "on the server",
                code="scene_without_persona",
            )
        log.info("/v1/realtime without a persona: a plain assistant, instructed by the client's session.update")
        return SessionConfig(modalities=["text", "audio"], brain=brain), None
    try:
        with ctx.db.session() as s:
            persona = _persona_version(s, slug)
            chosen = choose_scene(s, persona=persona.spec, requested=scene, role=REALTIME_ROLE)  # type: ignore[arg-type]
        selection = LiveSelection(
            persona_slug=slug,
            persona_version=persona.number,
            scene_slug=chosen.slug if chosen else None,
            scene_version=chosen.number if chosen else None,
            engine=engine_name,
            brain=brain,
        )
        resolved = resolve_session(
            ctx.db, selection, input_sample_rate=DEFAULT_SAMPLE_RATE, output_sample_rate=DEFAULT_SAMPLE_RATE
        )
    except SceneChoiceError as exc:
        raise RealtimeRefused(f"?scene: {exc}", code="unknown_scene") from None
    except (LookupError, ValueError, StudioError) as exc:
        if persona_slug is None:  # the server's own setting names a persona it does not have
            raise RealtimeRefused(
                f"the server's default persona STEPAUDIO_DEFAULT_PERSONA={slug!r} is not available ({exc}): "
                "name a persona with ?model=, or fix the setting",
                code="default_persona_unavailable",
            ) from None
        raise RealtimeRefused(f"{exc}: pick another persona with ?model=", code="not_found") from None
    return resolved.config, resolved


def _persona_published(ctx: AppContext, slug: str) -> bool:
    with ctx.db.session() as s:
        return _published_number(s, "persona", slug) is not None


def resolve_target(
    ctx: AppContext, model: str | None, engine_name: str | None, scene: str | None = None, brain: str | None = None
) -> ResolvedTarget:
    """`?model=` (persona slug | engine name | nothing), `?engine=`, `?scene=` (slug | none | nothing) and
    `?brain=` (the embedded engine's chat model) -> the engine and session config."""
    persona_slug: str | None = None
    if model and model in ctx.engines:
        engine_name = engine_name or model
    elif model:
        if not _persona_published(ctx, model):
            raise RealtimeRefused(
                f"unknown model '{model}': use a published persona's slug or one of the engines {sorted(ctx.engines)}",
                code="unknown_model",
            )
        persona_slug = model
    engine_name = engine_name or _default_engine_name(ctx)
    engine = ctx.engines.get(engine_name)
    if engine is None:
        raise RealtimeRefused(
            f"unknown engine '{engine_name}': available are {sorted(ctx.engines)}", code="unknown_engine"
        )
    availability = engine.availability()
    if not availability.usable:
        raise RealtimeRefused(
            f"engine '{engine_name}' is not usable here: {availability.reason}", code="engine_unavailable"
        )
    config, resolved = _compose(ctx, persona_slug, engine_name, scene, brain)
    return ResolvedTarget(engine_name=engine_name, engine=engine, config=config, resolved=resolved)
