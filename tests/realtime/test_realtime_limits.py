"""/v1/realtime's limits, against the real server and engine with raw WebSocket clients: a cap on sessions,
idle and total time limits, a bounded queue for a client that stops reading, and a cap on recorded audio.
Each limit is set low in the test's settings; every refusal or drop comes as an `error` event that names
the limit and its setting, and the server goes on serving others."""

from __future__ import annotations

import asyncio
import json
import socket
import wave
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from model.events import encode_pcm16
from stepaudio_ui.live.session import USER_WAV, conversation_audio_dir
from tests.realtime.conftest import PERSONA_SLUG, RunningServer, build_realtime_app, next_event, serve

pytestmark = pytest.mark.models

TIMEOUT_S = 30.0


def limits(**settings: Any) -> Any:
    """Run the test against a server with these settings (the `limited` fixture)."""
    return pytest.mark.parametrize("limited", [settings], indirect=True, ids=[",".join(settings)])


@pytest.fixture
def limited(settings: Any, unpaced_engine: Any, request: pytest.FixtureRequest) -> Iterator[RunningServer]:
    """The endpoint with the limits the test gives (`@limits(...)`)."""
    app, ctx = build_realtime_app(settings.model_copy(update=request.param), {"embedded": unpaced_engine})
    with serve(app, ctx.settings) as port:
        yield RunningServer(app=app, ctx=ctx, port=port)


async def _error_then_close(ws: ClientConnection) -> tuple[dict[str, Any] | None, int | None]:
    """The last error event before the server closed the socket, and the close code."""
    error = None
    try:
        while True:
            event = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT_S))
            if event["type"] == "error":
                error = event
    except ConnectionClosed as closed:
        return error, closed.rcvd.code if closed.rcvd else None


async def _round_trip(ws: ClientConnection, text: str = "Still here?") -> None:
    await ws.send(json.dumps({"type": "session.update", "session": {"instructions": text}}))
    assert (await next_event(ws, "session.updated"))["session"]["instructions"] == text


async def _wait_for(condition: Any, timeout_s: float = TIMEOUT_S) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


@limits(realtime_max_sessions=2)
async def test_sessions_beyond_the_cap_are_refused_until_one_ends(limited: RunningServer) -> None:
    async with connect(limited.url) as first, connect(limited.url) as second:
        await next_event(first, "session.created")
        await next_event(second, "session.created")
        async with connect(limited.url) as third:
            error, code = await _error_then_close(third)
        assert error is not None and error["error"]["code"] == "too_many_sessions"
        assert "STEPAUDIO_REALTIME_MAX_SESSIONS" in error["error"]["message"] and code == 1013
        await _round_trip(first)  # the sessions already held are untouched
    await _wait_for(lambda: limited.app.state.realtime.active == 0)
    async with connect(limited.url) as again:  # slots are given back when sessions end
        await next_event(again, "session.created")


@limits(realtime_idle_timeout_s=1.0)
async def test_a_client_that_sends_nothing_is_closed_after_the_idle_limit(limited: RunningServer) -> None:
    async with connect(limited.url) as idle:
        await next_event(idle, "session.created")
        error, _code = await _error_then_close(idle)
    assert error is not None and error["error"]["code"] == "idle_timeout"
    assert "STEPAUDIO_REALTIME_IDLE_TIMEOUT_S" in error["error"]["message"]
    await _wait_for(lambda: limited.app.state.realtime.active == 0)


@limits(realtime_session_time_limit_s=2.0)
async def test_a_busy_session_ends_at_the_time_limit(limited: RunningServer) -> None:
    async with connect(limited.url) as busy:
        await next_event(busy, "session.created")

        async def keep_talking() -> None:
            with pytest.raises(ConnectionClosed):
                for index in range(1000):
                    await busy.send(json.dumps({"type": "session.update", "session": {"instructions": f"{index}"}}))
                    await asyncio.sleep(0.2)

        talking = asyncio.create_task(keep_talking())
        error, _code = await _error_then_close(busy)
        await talking
    assert error is not None and error["error"]["code"] == "session_time_limit"
    assert "STEPAUDIO_REALTIME_SESSION_TIME_LIMIT_S" in error["error"]["message"]


@limits(realtime_max_queued_bytes=10_000, realtime_max_messages_per_second=1000.0)
async def test_a_client_that_stops_reading_is_dropped_and_others_are_served(limited: RunningServer) -> None:
    # A small receive buffer (set before connecting, so the TCP window is small too), no compression (the
    # repeated text would shrink to nothing), and the client reads nothing: the answers pile up server-side.
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", limited.port))
    long_text = "x" * 30_000  # every session.updated echoes the instructions back
    async with connect(limited.url) as calm, connect(limited.url, sock=sock, max_queue=1, compression=None) as stuck:
        await next_event(calm, "session.created")
        try:
            for _ in range(400):  # ~12 MB of answers: more than the socket buffers and the 10 kB queue
                await stuck.send(json.dumps({"type": "session.update", "session": {"instructions": long_text}}))
        except ConnectionClosed:
            pass  # dropped while still sending
        await _round_trip(calm)  # served while the other one is stuck
        await _wait_for(lambda: limited.app.state.realtime.slow_clients_dropped == 1)
        error, code = await _error_then_close(stuck)  # reading now: what is left, then the error
    assert error is not None and error["error"]["code"] == "slow_client", error
    assert "STEPAUDIO_REALTIME_MAX_QUEUED_BYTES" in error["error"]["message"] and code == 1008


@limits(realtime_max_recording_bytes=48_000)
async def test_recorded_audio_stops_at_the_cap_and_the_conversation_goes_on(limited: RunningServer) -> None:
    tone = 3_000 * np.sin(2 * np.pi * 440 * np.arange(2_400) / 24_000)  # audible: recording starts on sound
    chunk = encode_pcm16(tone.astype(np.int16))  # 100 ms of 24 kHz pcm16 = 4,800 bytes
    async with connect(f"{limited.url}?model={PERSONA_SLUG}") as ws:
        await next_event(ws, "session.created")
        for _ in range(40):  # 192,000 bytes of audio, four times the cap
            await ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": chunk}))
        await _round_trip(ws)
    await _wait_for(lambda: limited.app.state.realtime.active == 0)
    with limited.ctx.db.session() as s:
        from sqlmodel import select

        from stepaudio_ui.studio.store import Conversation

        conversation = s.exec(select(Conversation)).one()
    path = conversation_audio_dir(limited.ctx.settings.data_dir, conversation.id) / USER_WAV
    with wave.open(str(path)) as wav:
        recorded = wav.getnframes() * 2
    assert 0 < recorded <= 48_000


@limits(realtime_max_messages_per_second=1000.0)
async def test_repeated_session_updates_queue_bounded_model_work(limited: RunningServer) -> None:
    """Each session.update has the engine read the new prompt ahead of time on the shared model threads;
    a client repeating it must not queue one job per message in front of everyone's replies."""
    from model.embedded.workers import model_work_pool

    # Jobs that earlier tests' sessions queued (prompts warmed on open) are not this client's: let them run.
    await _wait_for(lambda: model_work_pool()._work_queue.qsize() == 0, timeout_s=120)
    async with connect(limited.url) as ws:
        await next_event(ws, "session.created")
        for index in range(300):
            await ws.send(json.dumps({"type": "session.update", "session": {"instructions": f"Persona {index}."}}))
        for _ in range(300):
            await next_event(ws, "session.updated")
        waiting = model_work_pool()._work_queue.qsize()  # jobs not yet started on a model thread
    assert waiting <= 4, f"{waiting} model jobs queued by one client's session.update messages"
