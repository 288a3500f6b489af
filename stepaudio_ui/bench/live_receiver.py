"""What the browser's side says about a live conversation: its jitter buffer and the page's own CPU.

Both bear on "end of speech -> audible reply". Chrome holds received audio in a jitter buffer before
playing it, and sizes that buffer (its target delay) from how irregularly packets arrived: a sender
starved of CPU for 100-300 ms makes it hold about that much, and every reply then waits that long
behind it. The page itself also runs on the machine's cores; on the bench's 2 cores, its work is CPU
the server's event loop and models do not get.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Playout:
    """Chrome's receive-side audio figures (its `inbound-rtp` stats), over the whole conversation."""

    mean_delay_ms: float | None  # how long, on average, a sample waited in the jitter buffer
    target_delay_ms: float | None  # how long Chrome aimed to hold audio (its estimate of the arrival jitter)
    concealment_events: int | None  # times audio ran out and Chrome made up sound to cover the gap

    @classmethod
    def from_inbound(cls, inbound: dict[str, Any] | None) -> Playout:
        inbound = inbound or {}
        emitted = inbound.get("jitterBufferEmittedCount") or 0

        def per_sample_ms(total_s: float | None) -> float | None:
            return None if not emitted or total_s is None else 1000 * total_s / emitted

        return cls(
            mean_delay_ms=per_sample_ms(inbound.get("jitterBufferDelay")),
            target_delay_ms=per_sample_ms(inbound.get("jitterBufferTargetDelay")),
            concealment_events=inbound.get("concealmentEvents"),
        )


class PageCpu:
    """The page's CPU use between `start()` and `stop()`, from Chrome DevTools' Performance metrics.

    `ProcessTime` is the CPU time of the page's renderer process (every thread); `TaskDuration` is the
    time its main thread was busy (scripts, style, layout, paint), which is what makes a page feel slow.
    """

    def __init__(self, page: Any) -> None:
        self._cdp = page.context.new_cdp_session(page)
        self._cdp.send("Performance.enable")
        self._start: dict[str, float] | None = None
        self.renderer_cpu: float | None = None  # cores' worth: 0.5 is half of one core
        self.main_thread_busy: float | None = None  # fraction of wall time

    def _sample(self) -> dict[str, float]:
        metrics = self._cdp.send("Performance.getMetrics")["metrics"]
        return {item["name"]: float(item["value"]) for item in metrics}

    def start(self) -> None:
        self._start = self._sample()

    def stop(self) -> None:
        if self._start is None:
            return
        end = self._sample()
        wall = end["Timestamp"] - self._start["Timestamp"]
        if wall > 0:
            self.renderer_cpu = (end["ProcessTime"] - self._start["ProcessTime"]) / wall
            self.main_thread_busy = (end["TaskDuration"] - self._start["TaskDuration"]) / wall
