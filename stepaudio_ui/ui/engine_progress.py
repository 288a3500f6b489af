"""Progress bars for the page's long waits: an engine's models loading, a check run, an A/B pair.

Each helper takes the handler's `gr.Progress`; Gradio shows it over the handler's outputs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import gradio as gr

from stepaudio_ui.ui.i18n import tr

logger = logging.getLogger(__name__)

POLL_S = 0.5
# Gradio shows a bar's words only with a level, and a load's length is unknown: the level is the time so far
# against this typical cold load on a 2-core machine, held below full until the models are really there.
TYPICAL_LOAD_S = 60.0


async def engine_ready(engine: Any, progress: gr.Progress) -> None:
    """Return once `engine` can talk. An engine with local models not loaded yet (the embedded one right
    after a start) is waited for, with a progress bar counting the seconds; others return at once."""
    start = getattr(engine, "start", None)
    if start is None or getattr(engine, "models", True) is not None or not engine.availability().usable:
        return  # nothing to load, or the caller's own check says why it cannot run
    loading = asyncio.ensure_future(start())  # joins a load already under way (the start-up warm-up)
    began = time.monotonic()
    while not loading.done():
        waited = time.monotonic() - began
        progress(
            min(0.95, waited / TYPICAL_LOAD_S), desc=tr("progress.loading", engine=engine.name, seconds=int(waited))
        )
        await asyncio.wait({loading}, timeout=POLL_S)
    try:
        loading.result()
    except Exception as error:
        logger.exception("engine %s could not load", engine.name)
        raise gr.Error(tr("progress.load_failed", engine=engine.name, error=error)) from error


def check_steps(progress: gr.Progress) -> Any:
    """An `on_step` for `quality.runner.run_check` that moves the bar: greeting, turn 1, turn 2..."""

    def step(done: int, total: int, what: str) -> None:
        progress((done, total), desc=tr("progress.check_step", what=what), unit=tr("progress.unit"))

    return step


def ab_replies(progress: gr.Progress) -> Any:
    """An `on_reply` for `quality.ab.ask_both` that counts the two replies in (and shows the bar at 0 of 2)."""
    arrived = 0
    progress((0, 2), desc=tr("progress.ab_waiting"), unit=tr("progress.unit"))

    def reply_in(_reply: Any) -> None:
        nonlocal arrived
        arrived += 1
        progress(
            (arrived, 2),
            desc=tr("progress.ab_one_in" if arrived == 1 else "progress.ab_done"),
            unit=tr("progress.unit"),
        )

    return reply_in
