"""Transcribe a turn from the speaker's first pause instead of from the end-of-turn decision.

The decision comes 200–600 ms into the silence (the semantic check or the silence wait). Whisper can use
that time: at the first ~100 ms of silence the turn so far is transcribed in the background, and when
the turn does end there (the usual case) the transcript is ready, or nearly, when the decision is made.
When the speaker goes on, the early result is dropped; it cost one Whisper call on an idle CPU.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import numpy as np

from model.embedded.listen.asr import Transcript
from model.embedded.workers import run_model_work

logger = logging.getLogger(__name__)

Transcribe = Callable[[np.ndarray, str], Transcript]
Pending = tuple[str, asyncio.Future[Transcript]]
# Told of the current early transcript when it is ready (the session may start a reply on it), and
# None when it is dropped because the speaker went on.
EarlyListener = Callable[[Pending | None], None]


class EarlyTranscriber:
    """One per session; called from the session's event loop only."""

    def __init__(self, transcribe: Transcribe, listener: EarlyListener | None = None) -> None:
        self._transcribe = transcribe
        self._listener = listener
        self._pending: Pending | None = None

    def paused(self, audio_16k: np.ndarray, language: str) -> None:
        """The speaker paused: start transcribing the turn so far (a newer pause replaces an older one)."""
        future = asyncio.ensure_future(run_model_work(self._transcribe, audio_16k, language))
        future.add_done_callback(_consume_exception)
        pending = (language, future)
        self._pending = pending
        future.add_done_callback(lambda _: self._ready(pending))

    def _ready(self, pending: Pending) -> None:
        future = pending[1]
        if self._listener is not None and self._pending is pending and not future.cancelled():
            if future.exception() is None:
                self._listener(pending)

    def resumed(self) -> None:
        """The words go on: a transcript of the turn so far would cut it short."""
        if self._pending is not None and self._listener is not None:
            self._listener(None)
        self._pending = None

    def take(self) -> Pending | None:
        """The early transcript for the turn that just ended (to be passed to `transcript`)."""
        pending, self._pending = self._pending, None
        return pending

    async def transcript(self, early: Pending | None, audio_16k: np.ndarray, language: str) -> Transcript:
        """The early transcript when it was made for this language and succeeded, else a fresh one."""
        if early is not None and early[0] == language:
            with contextlib.suppress(Exception):  # a failed early try is simply redone below
                transcript = await early[1]
                logger.debug("transcript started at the pause reused")
                return transcript
        return await run_model_work(self._transcribe, audio_16k, language)


def _consume_exception(future: asyncio.Future[Transcript]) -> None:
    """An early transcript nobody waits for must not log 'exception was never retrieved'."""
    if not future.cancelled():
        future.exception()
