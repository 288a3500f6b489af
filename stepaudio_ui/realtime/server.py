"""The /v1/realtime WebSocket endpoint: any of our engines, spoken over the realtime protocol.

A client (the official `openai` SDK's realtime client, a browser, another copy of this app through
model/realtime/client.py) connects to `ws://HOST:PORT/v1/realtime?model=...`, where `model` is a
persona slug (its published version), an engine name, or nothing; `&engine=NAME` picks the engine for a
persona and `&scene=SLUG` (or `none`) the scene tone. Which persona and scene a connection gets when it
names none is decided in realtime_access.
Messages are JSON text frames; audio is base64 pcm16 (24 kHz, or 16 kHz once asked for in
`session.update`). Beta and GA event names are both understood (model/realtime/wire.py).

One connection = one engine session, pumped by two tasks (socket -> engine, engine -> socket). A bad
message gets an `error` event; a flood or a refused client gets an `error` event and a closed socket;
nothing a client sends can take down the server or another connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from fastapi import FastAPI, WebSocket
from starlette.types import Message
from starlette.websockets import WebSocketDisconnect, WebSocketState

from model.events import ClientEvent, ErrorEvent, ServerEvent, error_event
from model.internal_errors import internal_error_event, internal_error_message
from model.protocol import EngineSession
from model.realtime.wire import WireError, parse_client_message, server_event_json
from stepaudio_ui.context import AppContext
from stepaudio_ui.live.session import session_brain
from stepaudio_ui.realtime.access import (
    SUBPROTOCOL_KEY_PREFIX,
    RealtimeRefused,
    check_access,
    offered_subprotocols,
    resolve_target,
)
from stepaudio_ui.realtime.limits import (
    FINAL_GRACE_S,
    POLICY_VIOLATION,
    REALTIME_PATH,
    TRY_AGAIN_LATER,
    Ending,
    Outbox,
    RealtimeStats,
    SessionSlots,
    TokenBucket,
    idle_ending,
    slow_client_ending,
    time_limit_ending,
    too_many_sessions,
)
from stepaudio_ui.realtime.record import RealtimeRecording
from stepaudio_ui.settings import secret

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- one connection


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


def _pick_subprotocol(ws: WebSocket) -> str | None:
    offered = offered_subprotocols(ws)
    if "realtime" in offered:
        return "realtime"
    plain = [p for p in offered if not p.startswith(SUBPROTOCOL_KEY_PREFIX)]
    return plain[0] if plain else None


async def _refuse(
    ws: WebSocket, stats: RealtimeStats, exc: RealtimeRefused, close_code: int = POLICY_VIOLATION
) -> None:
    stats.refused += 1
    log.info("/v1/realtime refused %s: %s", ws.client.host if ws.client else "?", exc)
    with contextlib.suppress(Exception):
        await ws.send_text(server_event_json(error_event(str(exc), code=exc.code)))
        await ws.close(code=close_code, reason=exc.code)


def mount_realtime(app: FastAPI, ctx: AppContext) -> None:
    """Add the `/v1/realtime` WebSocket route to `app`, serving the engines of `ctx`."""
    stats = RealtimeStats()
    app.state.realtime = stats
    slots = SessionSlots(ctx.settings.realtime_max_sessions)

    @app.websocket(REALTIME_PATH)
    async def realtime_endpoint(
        ws: WebSocket,
        model: str | None = None,
        engine: str | None = None,
        scene: str | None = None,
        brain: str | None = None,
    ) -> None:
        await ws.accept(subprotocol=_pick_subprotocol(ws))
        try:
            check_access(ws, secret(ctx.settings.realtime_token))
        except RealtimeRefused as exc:
            await _refuse(ws, stats, exc)
            return
        if not slots.try_take():  # before any work is done for this client
            refusal = RealtimeRefused(too_many_sessions(slots.limit), code="too_many_sessions")
            await _refuse(ws, stats, refusal, close_code=TRY_AGAIN_LATER)
            return
        try:
            await _serve(ws, ctx, stats, model, engine, scene, brain)
        finally:
            slots.give_back()


async def _serve(
    ws: WebSocket,
    ctx: AppContext,
    stats: RealtimeStats,
    model: str | None,
    engine: str | None,
    scene: str | None,
    brain: str | None,
) -> None:
    """One admitted connection: resolve what it talks to, open the engine session, pump it, record it."""
    try:
        # store reads are quick but blocking: keep them off the loop that serves other sockets
        target = await asyncio.to_thread(resolve_target, ctx, model, engine, scene, brain)
    except RealtimeRefused as exc:
        await _refuse(ws, stats, exc)
        return
    except Exception:  # noqa: BLE001 - e.g. the database is unreachable: say so (not how), keep serving
        message = internal_error_message(
            log, f"the server could not prepare the session (model={model!r}, scene={scene!r})"
        )
        await _refuse(ws, stats, RealtimeRefused(message, code="server_error"))
        return
    try:
        session = await target.engine.open_session(target.config)
    except Exception:  # noqa: BLE001 - an engine that can't start must not take the route down
        message = internal_error_message(log, f"engine '{target.engine_name}' could not start")
        await _refuse(ws, stats, RealtimeRefused(message, code="engine_error"))
        return
    stats.active += 1
    stats.opened += 1
    brain_card = session_brain(target.engine, session)
    recording = RealtimeRecording.for_target(ctx, target, brain_card)  # recorded from its first content on
    log.info("/v1/realtime session on %s", target.engine_name)
    end_reason = "connection failed"
    try:
        end_reason = await RealtimeConnection(ws, session, ctx.settings, stats, recording).run()
    except Exception:  # noqa: BLE001 - one broken connection must not affect the others
        log.exception("/v1/realtime connection failed")
    finally:
        try:
            await session.close()
            await recording.finish(end_reason)
        finally:
            stats.active -= 1  # last: "no active session" means everything above is done
        if ws.application_state != WebSocketState.DISCONNECTED and ws.client_state != WebSocketState.DISCONNECTED:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 1.0)
