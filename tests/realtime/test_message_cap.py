"""/v1/realtime's message size limit holds at the WebSocket layer: a message far over
STEPAUDIO_REALTIME_MAX_MESSAGE_BYTES (1 MB by default) ends the connection with 1009 as soon as its frame
header announces it, before the server has read it (uvicorn would otherwise buffer up to 16 MB first);
one a little over the limit is still read and answered with an error event that says how to split it.
Real uvicorn socket set up as the app's server is, raw `websockets` clients."""

from __future__ import annotations

import json
import struct

import pytest
from websockets.asyncio.client import connect

from tests.realtime.conftest import RunningServer, closed_code, next_event

pytestmark = pytest.mark.models

TIMEOUT_S = 10.0
MESSAGE_TOO_BIG = 1009
FOUR_MB = 4_000_000
PREFIX = b'{"type": "input_audio_buffer.append", "audio": "'


def _text_frame_header(length: int) -> bytes:
    """A client's unfragmented text frame header announcing `length` bytes, masked with a zero key (so
    the payload goes as is)."""
    return bytes([0x81, 0x80 | 127]) + struct.pack("!Q", length) + b"\x00\x00\x00\x00"


@pytest.mark.parametrize("sent", ["whole", "announced"])
async def test_a_message_far_over_the_limit_closes_the_connection_unread(fast_server: RunningServer, sent: str) -> None:
    assert fast_server.ctx.settings.realtime_max_message_bytes == 1_000_000
    async with connect(fast_server.url, max_size=None) as ws:
        await next_event(ws, "session.created")
        if sent == "whole":  # a 4 MB message, sent in full
            await ws.send((PREFIX + b"A" * (FOUR_MB - len(PREFIX) - 2) + b'"}').decode())
        else:  # only its header and the first 64 kB: a server reading it whole would wait for the rest
            ws.transport.write(_text_frame_header(FOUR_MB) + PREFIX + b"A" * 65_536)
        assert await closed_code(ws, TIMEOUT_S) == MESSAGE_TOO_BIG
    async with connect(fast_server.url) as again:  # the server goes on serving
        await next_event(again, "session.created")


async def test_a_message_a_little_over_the_limit_gets_an_error_event_and_the_session_goes_on(
    fast_server: RunningServer,
) -> None:
    async with connect(fast_server.url) as ws:
        await next_event(ws, "session.created")
        await ws.send((PREFIX + b"A" * 1_200_000 + b'"}').decode())
        error = await next_event(ws, "error")
        assert error["error"]["code"] == "message_too_large"
        assert "STEPAUDIO_REALTIME_MAX_MESSAGE_BYTES" in error["error"]["message"]
        await ws.send(json.dumps({"type": "session.update", "session": {"instructions": "Still here?"}}))
        assert (await next_event(ws, "session.updated"))["session"]["instructions"] == "Still here?"
