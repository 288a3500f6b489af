"""The /v1/realtime WebSocket endpoint: any of our engines, spoken over the realtime protocol.

A client (the official `openai` SDK's realtime client, a browser, another copy of this app through
model/realtime_client.py) connects to `ws://HOST:PORT/v1/realtime?model=...`, where `model` is a
persona slug (composed with its published version and the default scene), an engine name, or
nothing (the default engine and the default persona); `&engine=NAME` picks the engine for a persona.
Messages are JSON text frames; audio is base64 pcm16 (24 kHz, or 16 kHz once asked for in
`session.update`). Beta and GA event names are both understood (model/realtime_wire.py).

One connection = one engine session, pumped by two tasks (socket -> engine, engine -> socket). A bad
message gets an `error` event; a flood or a refused client gets an `error` event and a closed socket;
nothing a client sends can take down the server or another connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, WebSocket
from starlette.websockets import WebSocketDisconnect, WebSocketState

from model.events import ClientEvent, ErrorEvent, ServerEvent, error_event
from model.protocol import EngineSession
from model.realtime_wire import WireError, parse_client_message, server_event_json
from stepaudio_ui.context import AppContext
from stepaudio_ui.live_session import session_brain
from stepaudio_ui.realtime_access import (
    SUBPROTOCOL_KEY_PREFIX,
    RealtimeRefused,
    check_access,
    offered_subprotocols,
    resolve_target,
)
from stepaudio_ui.realtime_record import RealtimeRecording

log = logging.getLogger(__name__)

REALTIME_PATH = "/v1/realtime"
POLICY_VIOLATION = 1008


@dataclass
class RealtimeStats:
    """Live counters, on `app.state.realtime` (tests and the bench read them)."""

    active: int = 0
    opened: int = 0
    refused: int = 0
    errors_sent: int = 0


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


# --------------------------------------------------------------------------- one connection


class RealtimeConnection:
    """Pumps one WebSocket <-> one engine session until either side ends."""

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
        self.ga = False  # answer with GA event names once the client shows it speaks GA
        self._send_lock = asyncio.Lock()

    async def send_event(self, event: ServerEvent) -> None:
        if isinstance(event, ErrorEvent):
            self.stats.errors_sent += 1
        text = server_event_json(event, ga=self.ga)
        async with self._send_lock:
            await self.ws.send_text(text)

    async def run(self) -> None:
        pump_out = asyncio.create_task(self._engine_to_client(), name="realtime-out")
        pump_in = asyncio.create_task(self._client_to_engine(), name="realtime-in")
        done, pending = await asyncio.wait({pump_out, pump_in}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        for task in pending | done:
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError, OSError):
                await task

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

    async def _engine_to_client(self) -> None:
        async for event in self.session.events():
            # Recorded before it is sent: a client that hangs up on `response.done` ends this task, and
            # the turn must already be in the history by then.
            await self._record(event, from_client=False)
            await self.send_event(event)

    async def _client_to_engine(self) -> None:
        while True:
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            if not self.bucket.take():
                await self.send_event(
                    error_event(
                        f"too many messages: this endpoint takes at most "
                        f"{self.bucket.rate:g} per second per connection; send audio in 20-100 ms chunks",
                        code="rate_limit_exceeded",
                    )
                )
                await self.ws.close(code=POLICY_VIOLATION, reason="rate limit exceeded")
                return
            text = message.get("text")
            if text is None:
                await self.send_event(
                    error_event("binary frames are not supported: send JSON text messages", code="invalid_frame")
                )
                continue
            size = len(text) if text.isascii() else len(text.encode("utf-8"))
            if size > self.max_bytes:
                await self.send_event(
                    error_event(
                        f"message of {size} bytes is over the {self.max_bytes}-byte limit: "
                        "split audio into smaller input_audio_buffer.append chunks",
                        code="message_too_large",
                    )
                )
                continue
            try:
                event, is_ga = parse_client_message(text)
            except WireError as exc:
                await self.send_event(error_event(str(exc), code=exc.code, param=exc.param))
                continue
            self.ga = self.ga or is_ga
            if event is not None:
                await self.session.send(event)
                await self._record(event, from_client=True)


def _pick_subprotocol(ws: WebSocket) -> str | None:
    offered = offered_subprotocols(ws)
    if "realtime" in offered:
        return "realtime"
    plain = [p for p in offered if not p.startswith(SUBPROTOCOL_KEY_PREFIX)]
    return plain[0] if plain else None


async def _refuse(ws: WebSocket, stats: RealtimeStats, exc: RealtimeRefused) -> None:
    stats.refused += 1
    log.info("/v1/realtime refused %s: %s", ws.client.host if ws.client else "?", exc)
    with contextlib.suppress(Exception):
        await ws.send_text(server_event_json(error_event(str(exc), code=exc.code)))
        await ws.close(code=POLICY_VIOLATION, reason=exc.code)


def mount_realtime(app: FastAPI, ctx: AppContext) -> None:
    """Add the `/v1/realtime` WebSocket route to `app`, serving the engines of `ctx`."""
    stats = RealtimeStats()
    app.state.realtime = stats

    @app.websocket(REALTIME_PATH)
    async def realtime_endpoint(
        ws: WebSocket, model: str | None = None, engine: str | None = None, brain: str | None = None
    ) -> None:
        await ws.accept(subprotocol=_pick_subprotocol(ws))
        try:
            check_access(ws, ctx.settings.realtime_token)
            # store reads are quick but blocking: keep them off the loop that serves other sockets
            target = await asyncio.to_thread(resolve_target, ctx, model, engine, brain)
        except RealtimeRefused as exc:
            await _refuse(ws, stats, exc)
            return
        except Exception as exc:  # noqa: BLE001 - e.g. the database is unreachable: say so, keep serving
            log.exception("/v1/realtime could not resolve model=%s engine=%s", model, engine)
            await _refuse(
                ws, stats, RealtimeRefused(f"the server could not prepare the session: {exc}", code="server_error")
            )
            return
        try:
            session = await target.engine.open_session(target.config)
        except Exception as exc:  # noqa: BLE001 - an engine that can't start must not take the route down
            log.exception("engine %s failed to open a session", target.engine_name)
            await _refuse(
                ws, stats, RealtimeRefused(f"engine '{target.engine_name}' could not start: {exc}", code="engine_error")
            )
            return
        stats.active += 1
        stats.opened += 1
        brain = session_brain(target.engine, session)
        recording = await RealtimeRecording.start(ctx, target.resolved, brain) if target.resolved else None
        log.info(
            "/v1/realtime session on %s (conversation %s)", target.engine_name, recording and recording.conversation_id
        )
        end_reason = "client hung up"
        try:
            await RealtimeConnection(ws, session, ctx.settings, stats, recording).run()
        except Exception:  # noqa: BLE001 - one broken connection must not affect the others
            log.exception("/v1/realtime connection failed")
            end_reason = "connection failed"
        finally:
            try:
                await session.close()
                if recording is not None:
                    await recording.finish(end_reason)
            finally:
                stats.active -= 1  # last: "no active session" means everything above is done
            if ws.application_state != WebSocketState.DISCONNECTED and ws.client_state != WebSocketState.DISCONNECTED:
                with contextlib.suppress(Exception):
                    await ws.close()
