"""The bounds of /v1/realtime: how many sessions at once, how long one may idle or last, how far a client
may fall behind, and the `error` events that tell a client which limit it met and which setting sets it.

Each connection's server events go through an `Outbox` bounded in bytes: the engine never waits for a
slow socket, and a client that stops reading is dropped (with an error event, if it ever reads again)
instead of making the server hold its replies in memory without end.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass

from model.events import ErrorEvent, error_event

REALTIME_PATH = "/v1/realtime"
TRY_AGAIN_LATER = 1013  # WebSocket close code: the server is busy
POLICY_VIOLATION = 1008
NORMAL_CLOSURE = 1000
FINAL_GRACE_S = 5.0  # how long the last events (and the error saying why) may take to reach the client


@dataclass
class RealtimeStats:
    """Live counters, on `app.state.realtime` (tests and the bench read them)."""

    active: int = 0
    opened: int = 0
    refused: int = 0
    errors_sent: int = 0
    slow_clients_dropped: int = 0


class TokenBucket:
    """Per-connection message rate limit: `rate` per second sustained, bursts of two seconds' worth."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.capacity = max(rate * 2.0, 1.0)
        self.tokens = self.capacity
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True


@dataclass(frozen=True)
class Ending:
    """Why a connection ends: what the client is told (if anything), the close code, and the reason recorded."""

    reason: str
    error: ErrorEvent | None = None
    close_code: int = NORMAL_CLOSURE
    drop_queued: bool = False  # a client that stopped reading gets the error, not the backlog


class SessionSlots:
    """At most `limit` sessions at once. Taken before any work for the connection is done (event-loop only)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.taken = 0

    def try_take(self) -> bool:
        if self.taken >= self.limit:
            return False
        self.taken += 1
        return True

    def give_back(self) -> None:
        self.taken = max(0, self.taken - 1)


def too_many_sessions(limit: int) -> str:
    return (
        f"this server holds {limit} realtime sessions at once and all are in use: try again later "
        "(the operator can raise STEPAUDIO_REALTIME_MAX_SESSIONS)"
    )


def idle_ending(idle_s: float) -> Ending:
    message = (
        f"nothing was received for {idle_s:g} s, so the session was closed: send audio or events more often "
        "(STEPAUDIO_REALTIME_IDLE_TIMEOUT_S), and reconnect to go on"
    )
    return Ending("client idle", error_event(message, code="idle_timeout"))


def time_limit_ending(limit_s: float) -> Ending:
    message = (
        f"this session reached the {limit_s:g} s limit (STEPAUDIO_REALTIME_SESSION_TIME_LIMIT_S): "
        "reconnect to start a new one"
    )
    return Ending("time limit", error_event(message, code="session_time_limit"))


def slow_client_ending(max_bytes: int) -> Ending:
    message = (
        f"this client fell more than {max_bytes:,} bytes behind reading the server's events, so the session "
        "was dropped (STEPAUDIO_REALTIME_MAX_QUEUED_BYTES): read events as they come"
    )
    return Ending("client too slow", error_event(message, code="slow_client"), POLICY_VIOLATION, drop_queued=True)


class Outbox:
    """Serialised server events waiting for the socket, at most `max_bytes` of them (one event always fits)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._texts: deque[str | None] = deque()  # None: nothing more will come
        self._bytes = 0
        self._ready = asyncio.Event()
        self.overflowed = False  # a put was refused: the client is too far behind

    def put(self, text: str) -> bool:
        """Queue `text`; False (nothing queued) when the client is already `max_bytes` behind."""
        if self._texts and self._bytes + len(text) > self.max_bytes:
            self.overflowed = True
            return False
        self._texts.append(text)
        self._bytes += len(text)
        self._ready.set()
        return True

    def finish(self, last: str | None, *, drop_queued: bool) -> None:
        """`last` (an error event) after what is queued, or instead of it; then the end."""
        if drop_queued:
            self._texts.clear()
            self._bytes = 0
        if last is not None:
            self._texts.append(last)
            self._bytes += len(last)
        self._texts.append(None)
        self._ready.set()

    async def get(self) -> str | None:
        while not self._texts:
            self._ready.clear()
            await self._ready.wait()
        text = self._texts.popleft()
        if text is not None:
            self._bytes -= len(text)
        return text
