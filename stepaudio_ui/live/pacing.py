"""Reply audio on its way to the browser: fixed 20 ms frames, released at real time.

Silence frames fill the gaps between replies (see stepaudio_ui.live.handler), so what leaves here is one
steady stream; `ReplyAudio.clear()` is the barge-in flush. For the embedded engine, whose Live sessions send
each phrase whole and unpaced, this is the only chunker and pacer on the way (stepaudio_ui.live.playout).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque

import numpy as np

OUTPUT_RATE = 24_000  # the engine's reply rate, sent to the browser as is
FRAME_S = 0.02
FRAME_SAMPLES = int(OUTPUT_RATE * FRAME_S)
EMIT_LEAD_S = 0.04  # how far emit runs ahead of the wall clock: the most audio a barge-in can't recall


class RealTimePacer:
    """Releases one frame per FRAME_S of wall clock, `lead_s` ahead; waits by sleeping, never spinning."""

    def __init__(self, frame_s: float = FRAME_S, lead_s: float = EMIT_LEAD_S) -> None:
        self.frame_s = frame_s
        self.lead_s = lead_s
        self._next: float | None = None

    async def wait(self) -> None:
        now = time.monotonic()
        if self._next is None or now - self._next > 0.2:
            self._next = now  # first frame, or the loop stalled: restart rather than burst to catch up
        delay = self._next - self.lead_s - now
        if delay > 0:
            await asyncio.sleep(delay)
        self._next += self.frame_s


class ReplyAudio:
    """Reply samples waiting to be played, cut into fixed 20 ms frames.

    `pushed` and `played` count the samples of the stream that came in and went out (padding not counted):
    a sample pushed when `pushed` was N has been played once `played` > N."""

    def __init__(self) -> None:
        self._frames: deque[np.ndarray] = deque()
        self._partial = np.zeros(0, dtype=np.int16)
        self.pushed = 0
        self.played = 0

    def push(self, samples: np.ndarray) -> None:
        self.pushed += len(samples)
        data = np.concatenate([self._partial, samples.astype(np.int16, copy=False)])
        whole = len(data) // FRAME_SAMPLES * FRAME_SAMPLES
        for start in range(0, whole, FRAME_SAMPLES):
            self._frames.append(data[start : start + FRAME_SAMPLES])
        self._partial = data[whole:]

    def pop(self) -> np.ndarray | None:
        if self._frames:
            self.played += FRAME_SAMPLES
            return self._frames.popleft()
        if len(self._partial):  # the tail of a reply: pad to a whole frame
            frame = np.zeros(FRAME_SAMPLES, dtype=np.int16)
            frame[: len(self._partial)] = self._partial
            self.played += len(self._partial)
            self._partial = np.zeros(0, dtype=np.int16)
            return frame
        return None

    def clear(self) -> int:
        dropped = len(self._frames)
        self._frames.clear()
        self._partial = np.zeros(0, dtype=np.int16)
        self.pushed = self.played  # what was queued will never play
        return dropped

    @property
    def playing(self) -> bool:
        return bool(self._frames) or bool(len(self._partial))
