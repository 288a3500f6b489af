"""Build the running app: database, context, Gradio UI mounted on FastAPI; and serve it with uvicorn.

Gradio is mounted at "/" on a plain FastAPI app (instead of `Blocks.launch`) so other routes, such
as the `/v1/realtime` WebSocket, can live beside the UI on the same port.
"""

from __future__ import annotations

import logging
from pathlib import Path

import fastapi
import gradio as gr

from stepaudio_ui.context import AppContext
from stepaudio_ui.settings import Settings

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SEED_DIR = REPO_ROOT / "personas"


def open_database(settings: Settings):  # noqa: ANN201 - stepaudio_ui.store.Database
    """Create the data directory, migrate the schema and load the seed library into an empty database."""
    from stepaudio_ui import store, studio

    settings.ensure_dirs()
    db = store.Database.from_settings(settings)
    db.migrate()
    seed_dir = settings.seed_dir or DEFAULT_SEED_DIR
    if seed_dir.is_dir():
        with db.session() as session:
            loaded = studio.seed_if_empty(session, seed_dir)
        if loaded:
            logger.info("Loaded %d seed personas and scene tones from %s", loaded, seed_dir)
    else:
        logger.warning("Seed folder %s does not exist: starting with an empty library", seed_dir)
    return db


def create_app(settings: Settings) -> tuple[fastapi.FastAPI, AppContext]:
    """The FastAPI app with the studio UI at "/", and the context its panels share."""
    from stepaudio_ui.ui.app import build_app

    db = open_database(settings)
    ctx = AppContext(settings=settings, db=db, engines={})
    blocks = build_app(ctx)
    blocks.queue(default_concurrency_limit=8)  # FastRTC streams need the queue; 8 keeps slow saves from blocking
    app = fastapi.FastAPI(title="StepAudio Persona Studio")

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app = gr.mount_gradio_app(app, blocks, path="/", show_error=True)
    return app, ctx


def serve(settings: Settings) -> None:
    """Run the app with uvicorn on settings.host:settings.port until interrupted."""
    import uvicorn

    app, _ctx = create_app(settings)
    logger.info("Database: %s", _describe_database(settings))
    logger.info("StepAudio Persona Studio on http://%s:%d", settings.host, settings.port)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")


def _describe_database(settings: Settings) -> str:
    url = settings.resolved_database_url()
    # Never log a password that may sit in a server URL.
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url
