"""Measure the path of one audio frame through the repo's own files (a measuring tool, not a test).

Two directions, each traced with `sys.setprofile` on the event loop's thread:
- microphone: one 20 ms 48 kHz browser frame through `LiveHandler.receive` into the embedded session;
- reply: one audio delta of a spoken greeting (one phrase: the session is opened unpaced, as the Live
  bridge opens it), from the engine's emitter through the session's event queue to
  `LiveHandler._on_event` and the next frame `LiveHandler.emit` hands to WebRTC (which releases the
  phrase's words to the page).

Prints, per direction, how many repo files ran and how many distinct cross-file edges (caller file ->
callee file, the caller being the nearest repo frame up the stack) were taken. The synthesis of the next
phrase, which runs on the same loop meanwhile, makes audio rather than carrying a frame: it is left out.
Loads the real models.

    PYTHONPATH=$PWD HF_HUB_OFFLINE=1 python scripts/frame_path.py
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OWN = ("model/", "stepaudio_ui/")
logger = logging.getLogger("frame_path")
SKIPPED_DELTAS = 1  # the first phrase: the next one is made while we wait
NOT_ON_THE_PATH = frozenset({"_synthesize_all"})  # ResponseRun's synthesis stage (see the docstring)


def _own(filename: str) -> str | None:
    try:
        relative = Path(filename).resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return None
    return relative if relative.startswith(OWN) else None


def _in_stage(frame: FrameType | None, names: frozenset[str]) -> bool:
    while frame is not None:
        if frame.f_code.co_name in names:
            return True
        frame = frame.f_back
    return False


class PathTrace:
    """Repo files entered and caller->callee file edges, from profile 'call' events."""

    def __init__(self) -> None:
        self.files: set[str] = set()
        self.edges: set[tuple[str, str]] = set()

    def __call__(self, frame: FrameType, event: str, arg: Any) -> None:
        if event != "call":
            return
        callee = _own(frame.f_code.co_filename)
        if callee is None or _in_stage(frame, NOT_ON_THE_PATH):
            return
        self.files.add(callee)
        caller_frame = frame.f_back
        while caller_frame is not None and _own(caller_frame.f_code.co_filename) is None:
            caller_frame = caller_frame.f_back
        caller = _own(caller_frame.f_code.co_filename) if caller_frame is not None else None
        if caller is not None and caller != callee:
            self.edges.add((caller, callee))

    def report(self, name: str) -> str:
        lines = [f"{name}: files {len(self.files)}, cross-file edges {len(self.edges)}"]
        lines += [f"    {a} -> {b}" for a, b in sorted(self.edges)]
        return "\n".join(lines)


async def measure() -> tuple[PathTrace, PathTrace]:
    from model.embedded.engine import EmbeddedEngine
    from model.events import ResponseAudioDelta, SessionConfig
    from stepaudio_ui.live.handler import INPUT_RATE, LiveHandler
    from stepaudio_ui.live.pacing import OUTPUT_RATE
    from stepaudio_ui.live.registry import LiveRegistry

    engine = EmbeddedEngine()
    config = SessionConfig(
        input_sample_rate=INPUT_RATE,
        output_sample_rate=OUTPUT_RATE,
        greeting="Hello there, nice to meet you. I am glad you came by today. Ask me anything you like.",
    )
    session = await engine.open_session(config, paced=False)  # as stepaudio_ui/live/opening.py opens it
    handler = LiveHandler(ctx=None, registry=LiveRegistry())  # type: ignore[arg-type]  # receive/emit need no app
    handler.session = session
    handler.playout.client_paced = True
    events = session.events()

    # Reply: the first phrase's delta passes untraced; the next one is made by the engine while we wait,
    # and is traced from the emitter to the frame emit() returns.
    seen = 0
    async for event in events:
        if event.type in ("response.created", "response.audio_transcript.delta"):
            await handler._on_event(event)
        if isinstance(event, ResponseAudioDelta):
            await handler._on_event(event)
            seen += 1
            if seen == SKIPPED_DELTAS:
                break
    handler.playout.clear()
    reply = PathTrace()
    sys.setprofile(reply)
    try:
        async for event in events:
            await handler._on_event(event)  # its transcript delta, then its audio
            if isinstance(event, ResponseAudioDelta):
                break
        frame = await handler.emit()
    finally:
        sys.setprofile(None)
    assert frame is not None

    # Microphone: one 20 ms frame at the browser's 48 kHz (quiet noise, as an idle microphone sends).
    noise = (np.random.default_rng(0).standard_normal(960) * 30).astype(np.int16)
    await handler.receive((48_000, noise.reshape(1, -1)))  # the resampler's first call warms it up
    microphone = PathTrace()
    sys.setprofile(microphone)
    try:
        await handler.receive((48_000, noise.reshape(1, -1)))
    finally:
        sys.setprofile(None)
    await session.close()
    return microphone, reply


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    microphone, reply = asyncio.run(measure())
    verbose = "-v" in sys.argv
    for name, trace in (("microphone frame -> engine", microphone), ("reply frame -> LiveHandler.emit", reply)):
        text = trace.report(name)
        logger.warning("%s", text if verbose else text.splitlines()[0])


if __name__ == "__main__":
    main()
