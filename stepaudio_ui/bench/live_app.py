"""The app side of `bench live`: the app served on loopback, its models, the persona's voice, the store's
record of the conversation."""

from __future__ import annotations

import sys
import threading
import time
from typing import Any


def out(text: str) -> None:
    """Bench results are the command's output (stdout), not log lines."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def serve_app(settings: Any) -> tuple[Any, Any, str]:
    """The app on a free loopback port in a thread; returns (uvicorn server, context, url)."""
    import socket

    import uvicorn

    from stepaudio_ui.server import create_app
    from stepaudio_ui.web.uvicorn_setup import uvicorn_config

    app, ctx = create_app(settings)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = uvicorn.Server(uvicorn_config(app, settings, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, name="bench-live-server", daemon=True).start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the app did not start within 60 s")
        time.sleep(0.05)
    return server, ctx, f"http://127.0.0.1:{port}/"


def wait_for_models(ctx: Any, timeout_s: float = 300) -> None:
    engine = ctx.engines["embedded"]
    deadline = time.monotonic() + timeout_s
    while engine.models is None:
        if not engine.availability().usable:
            raise RuntimeError(f"the embedded engine is not usable: {engine.availability().reason}")
        if time.monotonic() > deadline:
            raise RuntimeError("the embedded engine did not load its models in time")
        time.sleep(0.5)


def newest_conversation(ctx: Any) -> Any:
    """The conversation the bench just held, as the store keeps it (`conversations.ConversationView`)."""
    from stepaudio_ui.live import conversations

    with ctx.db.session() as s:
        newest = conversations.list_conversations(s, limit=1)[0]
        return conversations.get_conversation(s, conversation_id=newest.id)


def server_timings(view: Any) -> list[dict[str, float]]:
    """The engine's own stage marks (epoch ms) per answered spoken turn of `view`."""
    values = []
    for turn in view.turns:
        timings = turn.timings or {}
        if turn.role == "assistant" and timings.get("first_audio_ms") and timings.get("speech_end_ms"):
            if turn.index > 0:  # the greeting has no user speech before it
                values.append(timings)
    return values


def persona_voice(ctx: Any, slug: str) -> str:
    """The voice the persona's published version speaks with."""
    from stepaudio_ui.studio.library import get_default_version

    with ctx.db.session() as session:
        return str(get_default_version(session, kind="persona", slug=slug).spec.voice)


def use_voice(ctx: Any, slug: str, voice: str) -> None:
    """Publish a version of the persona that speaks with `voice` (in the bench's scratch store only)."""
    from stepaudio_ui.studio.library import get_default_version, list_versions, publish_version, save_version

    with ctx.db.session() as session:
        current = get_default_version(session, kind="persona", slug=slug)
        latest = max(view.number for view in list_versions(session, kind="persona", slug=slug))
        spec = current.spec.model_copy(update={"voice": voice})
        saved = save_version(
            session, kind="persona", slug=slug, spec=spec, base_number=latest, author="bench", note=f"voice {voice}"
        )
        publish_version(session, kind="persona", slug=slug, number=saved.number)
    out(f"persona {slug} v{saved.number} speaks with {voice}")


def choose_slug(page: Any, elem_id: str, slug: str) -> None:
    """Pick the dropdown option whose label ends in '(slug)'."""
    page.locator(f"#{elem_id} input").click()
    options = page.get_by_role("option")
    labels = [label.strip() for label in options.all_inner_texts()]
    if not any(label.endswith(f"({slug})") for label in labels):
        raise SystemExit(f"no '{slug}' in the Live tab's list ({', '.join(labels)}): pick one of those")
    options.filter(has_text=f"({slug})").first.click()
