"""One /v1/realtime connection: a WebSocket pumped to and from one engine session until either ends.

Three tasks: the engine's events into a bounded outbox, the outbox onto the socket, the socket's messages
into the engine, under the limits of realtime/limits.py (message size and rate, idle and total time,
backlog). Admitting a connection and opening its session is realtime/server.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from fastapi import WebSocket
from starlette.types import Message
from starlette.websockets import WebSocketDisconnect

from model.events import ClientEvent, ErrorEvent, ServerEvent, error_event
from model.internal_errors import internal_error_event
from model.protocol import EngineSession
from model.realtime.wire import WireError, parse_client_message, server_event_json
from stepaudio_ui.realtime.limits import (
    FINAL_GRACE_S,
    POLICY_VIOLATION,
    Ending,
    Outbox,
    RealtimeStats,
    TokenBucket,
    idle_ending,
    slow_client_ending,
    time_limit_ending,
)
from stepaudio_ui.realtime.record import RealtimeRecording

log = logging.getLogger(__name__)


class RealtimeConnection:
    """Pumps one WebSocket <-> one engine session until either side ends or a limit is met.

    Three tasks: the engine's events into the bounded outbox, the outbox onto the socket, the socket's
    messages into the engine. The session's total time limit bounds all three.
    """

    def __init__(
        self,
        ws: WebSocket,
        session: EngineSession,
        settings: Any,
        stats: RealtimeStats,
        recording: RealtimeRecording | None = None,
    ) -> None:
        self.ws = ws
        self.session = session
        self.stats = stats
        self.recording = recording
        self.max_bytes: int = settings.realtime_max_message_bytes
        self.bucket = TokenBucket(settings.realtime_max_messages_per_second)
        self.idle_s: float = settings.realtime_idle_timeout_s
        self.time_limit_s: float = settings.realtime_session_time_limit_s
        self.outbox = Outbox(settings.realtime_max_queued_bytes)
        self.ga = False  # answer with GA event names once the client shows it speaks GA

    def send_event(self, event: ServerEvent) -> bool:
        """Queue `event` for the client; False when the client is too far behind to take it."""
        if isinstance(event, ErrorEvent):
            self.stats.errors_sent += 1
        return self.outbox.put(server_event_json(event, ga=self.ga))

    async def run(self) -> str:
        """Serve until the end; returns why it ended (recorded with the conversation)."""
        sender = asyncio.create_task(self._outbox_to_client(), name="realtime-send")
        pumps = {
            asyncio.create_task(self._engine_to_outbox(), name="realtime-out"),
            asyncio.create_task(self._client_to_engine(), name="realtime-in"),
        }
        done, _ = await asyncio.wait({*pumps, sender}, timeout=self.time_limit_s, return_when=asyncio.FIRST_COMPLETED)
        ending = time_limit_ending(self.time_limit_s) if not done else _ending_of(done)
        for task in pumps:
            task.cancel()
        for task in pumps:
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError, OSError):
                await task
        await self._close(sender, ending)
        return ending.reason

    async def _close(self, sender: asyncio.Task[Ending], ending: Ending) -> None:
        if ending.drop_queued:
            self.stats.slow_clients_dropped += 1
        if ending.error is not None:
            self.stats.errors_sent += 1
            log.info("/v1/realtime session ends: %s", ending.reason)
        last = server_event_json(ending.error, ga=self.ga) if ending.error is not None else None
        self.outbox.finish(last, drop_queued=ending.drop_queued)
        try:  # a client that never reads again does not hold the server: the wait is bounded
            await asyncio.wait_for(asyncio.shield(sender), FINAL_GRACE_S)
        except Exception:  # noqa: BLE001 - timed out, or the client is gone: nothing more to send
            sender.cancel()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.close(code=ending.close_code, reason=ending.reason[:120]), 1.0)

    async def _record(self, event: ClientEvent | ServerEvent, *, from_client: bool) -> None:
        if self.recording is None:
            return
        try:
            if from_client:
                await self.recording.client_event(event)  # type: ignore[arg-type]
            else:
                await self.recording.server_event(event)  # type: ignore[arg-type]
        except Exception:  # noqa: BLE001 - a recording fault must not end the conversation
            log.exception("recording conversation %s failed; it goes on unrecorded", self.recording.conversation_id)
            self.recording = None

    async def _outbox_to_client(self) -> Ending:
        while (text := await self.outbox.get()) is not None:
            await self.ws.send_text(text)
        return Ending("server closed the session")

    async def _engine_to_outbox(self) -> Ending:
        async for event in self.session.events():
            # Recorded before it is sent: a client that hangs up on `response.done` ends the connection,
            # and the turn must already be in the history by then.
            await self._record(event, from_client=False)
            if not self.send_event(event):
                return slow_client_ending(self.outbox.max_bytes)
        return Ending("engine ended the session")

    async def _client_to_engine(self) -> Ending:
        while True:
            try:  # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel when a message lands
                async with asyncio.timeout(self.idle_s):
                    message = await self.ws.receive()
            except TimeoutError:
                return idle_ending(self.idle_s)
            if message["type"] == "websocket.disconnect":
                return Ending("client hung up")
            if not self.bucket.take():
                text = (
                    f"too many messages: this endpoint takes at most {self.bucket.rate:g} per second per "
                    "connection (STEPAUDIO_REALTIME_MAX_MESSAGES_PER_SECOND); send audio in 20-100 ms chunks"
                )
                return Ending("rate limit exceeded", error_event(text, code="rate_limit_exceeded"), POLICY_VIOLATION)
            try:
                await self._handle(message)
            except Exception:  # noqa: BLE001 - one bad message must not end the connection
                self.send_event(internal_error_event(log, "the server could not handle that message"))
            if self.outbox.overflowed:  # e.g. a client sending bad messages and reading none of the errors
                return slow_client_ending(self.outbox.max_bytes)

    async def _handle(self, message: Message) -> None:
        text = message.get("text")
        if text is None:
            self.send_event(
                error_event("binary frames are not supported: send JSON text messages", code="invalid_frame")
            )
            return
        size = len(text) if text.isascii() else len(text.encode("utf-8"))
        if size > self.max_bytes:
            self.send_event(
                error_event(
                    f"message of {size} bytes is over the {self.max_bytes}-byte limit "
                    "(STEPAUDIO_REALTIME_MAX_MESSAGE_BYTES): split audio into smaller input_audio_buffer.append chunks",
                    code="message_too_large",
                )
            )
            return
        try:
            event, is_ga = parse_client_message(text)
        except WireError as exc:
            self.send_event(error_event(str(exc), code=exc.code, param=exc.param))
            return
        self.ga = self.ga or is_ga
        if event is not None:
            await self.session.send(event)
            await self._record(event, from_client=True)


def _ending_of(done: set[asyncio.Task[Ending]]) -> Ending:
    """The first finished task's ending; a task that failed ends the connection with a generic error."""
    task = next(iter(done))
    if task.cancelled():
        return Ending("cancelled")
    failure = task.exception()
    if failure is None:
        return task.result()
    if isinstance(failure, (WebSocketDisconnect, OSError)):
        return Ending("client hung up")
    return Ending("connection failed", internal_error_event(log, "the realtime connection failed", exc=failure), 1011)
