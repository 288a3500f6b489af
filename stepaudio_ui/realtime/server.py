"""The /v1/realtime WebSocket endpoint: any of our engines, spoken over the realtime protocol.

A client (the official `openai` SDK's realtime client, a browser, another copy of this app through
model/realtime/client.py) connects to `ws://HOST:PORT/v1/realtime?model=...`, where `model` is a
persona slug (its published version), an engine name, or nothing; `&engine=NAME` picks the engine for a
persona and `&scene=SLUG` (or `none`) the scene tone. Which persona and scene a connection gets when it
names none is decided in realtime/access.py.
Messages are JSON text frames; audio is base64 pcm16 (24 kHz, or 16 kHz once asked for in
`session.update`). Beta and GA event names are both understood (model/realtime/wire.py).

This module admits a connection (access, session slots), opens its engine session and records it; one
connection = one engine session, pumped by realtime/connection.py. A bad message gets an `error` event;
a flood or a refused client gets an `error` event and a closed socket; nothing a client sends can take
down the server or another connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from fastapi import FastAPI, WebSocket
from starlette.websockets import WebSocketState

from model.events import error_event
from model.internal_errors import internal_error_message
from model.realtime.wire import server_event_json
from stepaudio_ui.context import AppContext
from stepaudio_ui.live.session import session_brain
from stepaudio_ui.realtime.access import (
    SUBPROTOCOL_KEY_PREFIX,
    RealtimeRefused,
    check_access,
    offered_subprotocols,
    resolve_target,
)
from stepaudio_ui.realtime.connection import RealtimeConnection
from stepaudio_ui.realtime.limits import (
    POLICY_VIOLATION,
    REALTIME_PATH,
    TRY_AGAIN_LATER,
    RealtimeStats,
    SessionSlots,
    too_many_sessions,
)
from stepaudio_ui.realtime.record import RealtimeRecording
from stepaudio_ui.settings import secret

log = logging.getLogger(__name__)


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
