"""/v1/realtime under bad clients: auth, malformed / oversized / binary messages, floods, dropped sockets.

Real server (uvicorn on a port), real embedded engine, raw `websockets` clients so the tests can send
exactly the bytes a misbehaving client would.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr
from starlette.websockets import WebSocket
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from stepaudio_ui.realtime.access import RealtimeRefused, check_access
from tests.realtime.conftest import RunningServer, build_realtime_app, closed_code, next_event, serve

pytestmark = pytest.mark.models

TOKEN = "s3cret-token"
SECRET = SecretStr(TOKEN)
TIMEOUT_S = 30.0


@pytest.fixture
def guarded_server(settings: Any, unpaced_engine: Any) -> Iterator[RunningServer]:
    strict = settings.model_copy(
        update={"realtime_token": SECRET, "realtime_max_message_bytes": 4_000, "realtime_max_messages_per_second": 20.0}
    )
    app, ctx = build_realtime_app(strict, {"embedded": unpaced_engine})
    with serve(app, ctx.settings) as port:
        yield RunningServer(app=app, ctx=ctx, port=port)


def _auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _round_trip(ws: ClientConnection) -> None:
    """The connection still works: a session.update is answered with session.updated."""
    await ws.send(json.dumps({"type": "session.update", "session": {"instructions": "Still here?"}}))
    updated = await next_event(ws, "session.updated")
    assert updated["session"]["instructions"] == "Still here?"


@pytest.mark.parametrize(
    ("headers", "code"),
    [({}, "missing_token"), (_auth("wrong"), "invalid_token")],
    ids=["no-token", "wrong-token"],
)
async def test_token_required_and_checked(guarded_server: RunningServer, headers: dict[str, str], code: str) -> None:
    async with connect(guarded_server.url, additional_headers=headers) as ws:
        error = await next_event(ws)
        assert error["type"] == "error" and error["error"]["code"] == code
        assert "STEPAUDIO_REALTIME_TOKEN" in error["error"]["message"]
        assert await closed_code(ws) == 1008
    assert guarded_server.app.state.realtime.refused == 1


async def test_token_accepted_in_header_and_in_browser_subprotocol(guarded_server: RunningServer) -> None:
    async with connect(guarded_server.url, additional_headers=_auth()) as ws:
        assert (await next_event(ws))["type"] == "session.created"
    # browsers can't set headers: the key rides in the subprotocol list, and "realtime" is echoed back
    async with connect(guarded_server.url, subprotocols=["realtime", f"openai-insecure-api-key.{TOKEN}"]) as ws:
        assert ws.subprotocol == "realtime"
        assert (await next_event(ws))["type"] == "session.created"


def _scope_socket(client_host: str, headers: list[tuple[bytes, bytes]] | None = None) -> WebSocket:
    scope = {"type": "websocket", "path": "/v1/realtime", "client": (client_host, 50_000), "headers": headers or []}

    async def never() -> dict[str, Any]:
        raise AssertionError("not used")

    return WebSocket(scope, receive=never, send=never)


def test_without_a_token_only_loopback_clients_are_served() -> None:
    check_access(_scope_socket("127.0.0.1"), None)
    check_access(_scope_socket("::1"), None)
    with pytest.raises(RealtimeRefused, match="only serves loopback clients") as refused:
        check_access(_scope_socket("192.168.1.20"), None)
    assert refused.value.code == "loopback_only"
    # with a token, any address that shows it is served
    check_access(_scope_socket("192.168.1.20", [(b"authorization", f"Bearer {TOKEN}".encode())]), TOKEN)


def test_without_a_token_pages_from_other_sites_are_refused() -> None:
    """A page the user visits could otherwise drive the local endpoint from their own (loopback) browser."""
    with pytest.raises(RealtimeRefused, match="evil.example") as refused:
        check_access(_scope_socket("127.0.0.1", [(b"origin", b"https://evil.example")]), None)
    assert refused.value.code == "foreign_origin"
    check_access(_scope_socket("127.0.0.1", [(b"origin", b"http://localhost:7860")]), None)
    # A DNS-rebinding page: its name resolves to 127.0.0.1, so Origin and Host agree; both name the attacker.
    rebound = [(b"origin", b"http://studio.lan:7860"), (b"host", b"studio.lan:7860")]
    with pytest.raises(RealtimeRefused, match="studio.lan") as refused:
        check_access(_scope_socket("127.0.0.1", rebound), None)
    assert refused.value.code == "loopback_host_only"
    check_access(
        _scope_socket("127.0.0.1", [(b"origin", b"http://127.0.0.1:7860"), (b"host", b"127.0.0.1:7860")]), None
    )


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("{this is not json", "invalid_json"),
        (json.dumps({"type": "session.teleport"}), "unknown_event"),
        (json.dumps({"type": "input_audio_buffer.append", "audio": "%%%"}), None),
        (json.dumps({"type": "session.update", "session": {"temperature": 7}}), "invalid_event"),
        (json.dumps({"type": "input_audio_buffer.append", "audio": "A" * 8_000}), "message_too_large"),
        (b"\x00\x01binary", "invalid_frame"),
    ],
    ids=["malformed-json", "unknown-event", "bad-base64", "out-of-range", "oversized", "binary"],
)
async def test_bad_messages_get_error_events_and_the_session_carries_on(
    guarded_server: RunningServer, message: str | bytes, code: str | None
) -> None:
    async with connect(guarded_server.url, additional_headers=_auth()) as ws:
        await next_event(ws, "session.created")
        await ws.send(message)
        error = await next_event(ws, "error")
        if code is not None:
            assert error["error"]["code"] == code
        assert error["error"]["message"]
        await _round_trip(ws)


async def test_flood_closes_that_socket_only(guarded_server: RunningServer) -> None:
    async with (
        connect(guarded_server.url, additional_headers=_auth()) as calm,
        connect(guarded_server.url, additional_headers=_auth()) as flooder,
    ):
        await next_event(calm, "session.created")
        await next_event(flooder, "session.created")
        update = json.dumps({"type": "input_audio_buffer.clear"})
        try:
            for _ in range(200):  # 10x the per-second limit, at once
                await flooder.send(update)
        except ConnectionClosed:
            pass
        error = await next_event(flooder, "error")
        assert error["error"]["code"] == "rate_limit_exceeded"
        assert await closed_code(flooder) == 1008
        await _round_trip(calm)
    await _wait_for(lambda: guarded_server.app.state.realtime.active == 0)


async def test_unknown_model_is_refused_with_the_choices(guarded_server: RunningServer) -> None:
    async with connect(f"{guarded_server.url}?model=nobody", additional_headers=_auth()) as ws:
        error = await next_event(ws)
        assert error["error"]["code"] == "unknown_model"
        assert "embedded" in error["error"]["message"]


async def test_client_that_vanishes_mid_conversation_leaves_a_clean_server(
    guarded_server: RunningServer, relay_factory: Any
) -> None:
    relay = await relay_factory(guarded_server.port)
    url = f"ws://127.0.0.1:{relay.port}/v1/realtime"
    async with connect(url, additional_headers=_auth()) as ws:
        await next_event(ws, "session.created")
        await ws.send(json.dumps({"type": "session.update", "session": {"instructions": "x"}}))
        await next_event(ws, "session.updated")
        assert guarded_server.app.state.realtime.active == 1
        relay.cut()  # no close frame: the network just went away
        await _wait_for(lambda: guarded_server.app.state.realtime.active == 0)
    # and the server still serves new clients
    async with connect(guarded_server.url, additional_headers=_auth()) as ws:
        await next_event(ws, "session.created")
        await _round_trip(ws)


async def _wait_for(condition: Any, timeout_s: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)
