"""`conversation.item.truncate` over a real /v1/realtime WebSocket with the real embedded engine: a client
that played part of a reply says so and gets `conversation.item.truncated`, and the server's session holds
only the heard phrases from then on (tests/engine/test_truncation.py cuts inside a reply); a bad truncate gets
an `error` that names the field, as OpenAI's API answers it, and the session goes on. Wire sessions stay paced."""

from __future__ import annotations

import base64
import gc
import json
from typing import Any

import pytest
from websockets.asyncio.client import connect

from model.embedded.session import EmbeddedSession
from tests.realtime.conftest import RunningServer, next_event

pytestmark = pytest.mark.models

CHUNK_BYTES = 24_000 * 2 // 10  # one paced delta: 100 ms of 24 kHz pcm16
QUESTION = "Say hello in one short sentence."


def _server_history() -> list[tuple[str, str]]:
    """The conversation the server's session holds (found in this process: the server runs in a thread here).

    `type(o) is`, not `isinstance`: the heap holds weak proxies too, and `isinstance` on one whose object is
    gone raises ReferenceError (a fresh-clone CI run met one)."""
    (session,) = [
        o for o in gc.get_objects() if type(o) is EmbeddedSession and any(QUESTION in m.content for m in o.history)
    ]
    return [(m.role, m.content) for m in session.history]


async def _reply(ws: Any, text: str) -> tuple[str, int]:
    """Ask a typed question; (the reply's item id, ms of audio it sent), once it is done."""
    item = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
    await ws.send(json.dumps({"type": "conversation.item.create", "item": item}))
    await ws.send(json.dumps({"type": "response.create"}))
    sent_bytes, item_id = 0, None
    while (event := await next_event(ws))["type"] != "response.done":
        if event["type"] == "response.audio.delta":
            chunk = len(base64.b64decode(event["delta"]))
            assert chunk <= CHUNK_BYTES, "a wire session's audio must stay paced in 100 ms deltas"
            sent_bytes, item_id = sent_bytes + chunk, event["item_id"]
    assert item_id is not None, "the reply had no audio"
    return item_id, sent_bytes * 1000 // (24_000 * 2)


async def test_truncate_is_acknowledged_and_bad_ones_get_errors_naming_the_field(
    realtime_server: RunningServer,
) -> None:
    async with connect(realtime_server.url) as ws:
        await next_event(ws, "session.created")
        item_id, audio_ms = await _reply(ws, QUESTION)
        assert [role for role, _ in _server_history()] == ["user", "assistant"]

        await ws.send(json.dumps({"type": "conversation.item.truncate", "item_id": item_id, "audio_end_ms": 0}))
        truncated = await next_event(ws)
        assert truncated["type"] == "conversation.item.truncated", truncated
        assert (truncated["item_id"], truncated["content_index"], truncated["audio_end_ms"]) == (item_id, 0, 0)
        assert _server_history() == [("user", QUESTION)]  # nothing was heard: the reply left the conversation

        bad = [
            ({"item_id": "item_nope", "audio_end_ms": 0}, "item_not_found", "item_id"),
            ({"item_id": item_id, "audio_end_ms": audio_ms + 1_000}, "invalid_value", "audio_end_ms"),
            ({"item_id": item_id, "content_index": 2, "audio_end_ms": 0}, "invalid_value", "content_index"),
            ({"item_id": item_id, "audio_end_ms": -5}, "invalid_event", "audio_end_ms"),
        ]
        for fields, code, param in bad:
            await ws.send(json.dumps({"type": "conversation.item.truncate", "event_id": "evt_t", **fields}))
            error = await next_event(ws)
            assert error["type"] == "error", error
            assert (error["error"]["code"], error["error"]["param"]) == (code, param), error
            assert param in error["error"]["message"], error

        # The conversation goes on, from what was heard.
        await _reply(ws, "And goodbye, in one short sentence.")
        history = _server_history()
        assert [role for role, _ in history] == ["user", "assistant"] and "goodbye" in history[0][1], history
