"""Build the running app: database, engines, Gradio UI mounted on FastAPI; and serve it with uvicorn.

Gradio is mounted at "/" on a plain FastAPI app (instead of `Blocks.launch`) so other routes, such
as the `/v1/realtime` WebSocket, live beside the UI on the same port.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import fastapi

from stepaudio_ui.bootstrap import open_database
from stepaudio_ui.context import AppContext
from stepaudio_ui.settings import Settings

logger = logging.getLogger(__name__)

SIGN_IN_MESSAGE = "Sign in to StepAudio Persona Studio. Editors change the library; viewers browse and talk."


def _warm_up(ctx: AppContext) -> contextlib.AbstractAsyncContextManager[None]:
    """On startup, load the engines' models in the background: the page is usable at once."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: fastapi.FastAPI) -> AsyncIterator[None]:
        tasks = []
        if ctx.settings.warmup:
            for name, engine in ctx.engines.items():
                start = getattr(engine, "start", None)
                if start is not None and engine.availability().usable:
                    logger.info("Warming up engine %s in the background", name)
                    tasks.append(asyncio.create_task(start(), name=f"warmup-{name}"))
        yield
        for task in tasks:
            task.cancel()

    return lifespan  # type: ignore[return-value]


def create_app(settings: Settings) -> tuple[fastapi.FastAPI, AppContext]:
    """The FastAPI app with the studio UI at "/" and `/v1/realtime`, and the context its parts share.

    Raises `access.AccessError` before touching the database when the sign-in configuration is
    broken, or when an editable studio without sign-in would be reachable from other machines.
    """
    from stepaudio_ui.engines import build_engines
    from stepaudio_ui.origin_guard import install_origin_guard
    from stepaudio_ui.realtime.server import mount_realtime
    from stepaudio_ui.ui.app import build_app
    from stepaudio_ui.ui.i18n import translations
    from stepaudio_ui.voices.engine_clips import attach_custom_voices
    from stepaudio_ui.web.access import check_startup_safety, policy_from_settings
    from stepaudio_ui.web.hosting import on_space
    from stepaudio_ui.web.sign_in import PasswordChecks, install_login_guard
    from stepaudio_ui.web.upload_limits import mount_studio

    policy = policy_from_settings(settings)
    check_startup_safety(settings, policy)
    db = open_database(settings)
    ctx = AppContext(settings=settings, db=db, engines=build_engines(settings))
    attach_custom_voices(ctx.engines, db, settings.data_dir)  # cloning engines speak with uploaded clips
    app = fastapi.FastAPI(title="StepAudio Persona Studio", lifespan=_warm_up(ctx))

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    mount_realtime(app, ctx)  # before Gradio: the mount at "/" would otherwise catch the path
    blocks = build_app(ctx, policy)
    blocks.queue(default_concurrency_limit=8)  # FastRTC streams need the queue; 8 keeps a slow save from blocking
    sign_in: dict[str, Any] = {}
    if policy.password_sign_in:  # checked in worker threads: a scrypt check must not stall the event loop
        sign_in = {"auth": PasswordChecks(policy).check, "auth_message": SIGN_IN_MESSAGE}
    # i18n: the English and Chinese texts the browser translates the page's labels with (ui/i18n/*.json).
    options = {"path": "/", "show_error": True, "i18n": translations(), **sign_in}
    app = mount_studio(app, blocks, settings, **options)  # file checks and limits
    install_login_guard(app, settings, on_space=on_space())
    install_origin_guard(app, settings)  # added last, so it runs first: unknown hosts never reach the rest
    logger.info(
        "Access: %s",
        "read-only (everyone is a viewer)"
        if policy.read_only
        else f"{len(policy.users)} password accounts"
        if policy.password_sign_in
        else "Hugging Face sign-in"
        if policy.hf_oauth
        else f"no sign-in (anonymous users are {policy.anonymous_role}s)",
    )
    return app, ctx


def serve(settings: Settings) -> None:
    """Run the app with uvicorn on settings.host:settings.port until interrupted (Space defaults applied)."""
    import uvicorn

    from stepaudio_ui.web.access import AccessError
    from stepaudio_ui.web.hosting import hosting_settings
    from stepaudio_ui.web.upload_limits import use_private_gradio_cache
    from stepaudio_ui.web.uvicorn_setup import uvicorn_options

    settings = hosting_settings(settings)
    use_private_gradio_cache(settings)  # before the app exists: Gradio reads it when building
    try:
        app, ctx = create_app(settings)
    except AccessError as error:
        logger.error("%s", error)
        raise SystemExit(2) from error
    logger.info("Database: %s", ctx.db.engine.url.render_as_string(hide_password=True))
    logger.info("Engines: %s", ", ".join(ctx.engines) or "none")
    logger.info("StepAudio Persona Studio on http://%s:%d", settings.host, settings.port)
    uvicorn.run(app, **uvicorn_options(settings, host=settings.host, port=settings.port, log_level="info"))
