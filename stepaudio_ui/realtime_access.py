"""Who may use /v1/realtime, and what a connection talks to.

Access: with `realtime_token` set, a client must show it (`Authorization: Bearer`, or the
`openai-insecure-api-key.<token>` subprotocol browsers use); without it only loopback clients are
served, and a browser page from another site is refused (its `Origin` gives it away), so a web page
the user happens to visit cannot drive the local endpoint.

Target: `?model=` is a persona slug (composed with its published version and the default scene), an
engine name, or nothing (the default engine and the default persona); `&engine=NAME` picks the engine.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from fastapi import WebSocket

from model.events import DEFAULT_SAMPLE_RATE, SessionConfig
from model.protocol import Engine
from stepaudio_ui.context import AppContext

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
    resolved: Any  # stepaudio_ui.live_session.ResolvedSession, or None for an empty library


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


def _same_or_local_origin(origin: str, host_header: str) -> bool:
    """A browser's Origin is fine when it is this server itself or a page served from loopback."""
    origin_host = urlsplit(origin).hostname or ""
    if _is_loopback(origin_host):
        return True
    return bool(host_header) and urlsplit(origin).netloc == host_header


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
    origin = ws.headers.get("origin")
    if origin and not _same_or_local_origin(origin, ws.headers.get("host", "")):
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


def _first_item_slug(session: Any, kind: str) -> str | None:
    """The oldest live persona / scene: the seed library's first one is the house default."""
    from sqlmodel import select

    from stepaudio_ui import store

    table = store.Persona if kind == "persona" else store.Scene
    row = session.exec(select(table).where(table.archived == False).order_by(table.id)).first()  # noqa: E712
    return row.slug if row else None


def _compose(
    ctx: AppContext, persona_slug: str | None, engine_name: str, brain: str | None = None
) -> tuple[SessionConfig, Any]:
    """(persona, default scene) composed exactly as the Live panel does; an empty library gives a plain
    config. Returns the config and the live_session.ResolvedSession (None without a library)."""
    from stepaudio_ui.live_session import LiveSelection, resolve_session
    from stepaudio_ui.studio import StudioError

    with ctx.db.session() as s:
        slug = persona_slug or getattr(ctx.settings, "default_persona", None) or _first_item_slug(s, "persona")
        scene_slug = getattr(ctx.settings, "default_scene", None) or _first_item_slug(s, "scene")
    if slug is None or scene_slug is None:
        log.warning("no persona or scene tone in the library: serving /v1/realtime with a plain config")
        return SessionConfig(modalities=["text", "audio"], brain=brain), None
    selection = LiveSelection(persona_slug=slug, scene_slug=scene_slug, engine=engine_name, brain=brain)
    try:
        resolved = resolve_session(
            ctx.db, selection, input_sample_rate=DEFAULT_SAMPLE_RATE, output_sample_rate=DEFAULT_SAMPLE_RATE
        )
    except (LookupError, ValueError, StudioError) as exc:
        raise RealtimeRefused(f"{exc}: pick another persona with ?model=", code="not_found") from None
    return resolved.config, resolved


def _persona_exists(ctx: AppContext, slug: str) -> bool:
    from stepaudio_ui import studio

    with ctx.db.session() as s:
        return studio.find_identity(s, studio.kind_models("persona"), slug) is not None


def resolve_target(
    ctx: AppContext, model: str | None, engine_name: str | None, brain: str | None = None
) -> ResolvedTarget:
    """`?model=` (persona slug | engine name | nothing), `?engine=` and `?brain=` (the embedded engine's chat
    model) -> the engine and session config."""
    persona_slug: str | None = None
    if model and model in ctx.engines:
        engine_name = engine_name or model
    elif model:
        if not _persona_exists(ctx, model):
            raise RealtimeRefused(
                f"unknown model '{model}': use a persona slug or one of the engines {sorted(ctx.engines)}",
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
    config, resolved = _compose(ctx, persona_slug, engine_name, brain)
    return ResolvedTarget(engine_name=engine_name, engine=engine, config=config, resolved=resolved)
