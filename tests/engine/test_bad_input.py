"""Every kind of bad client input gets an `error` event that says what and how to fix it; the session goes on."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from model.embedded.client_input import parse_client_event
from model.events import ErrorEvent, InputAudioBufferAppend

from .test_spoken_turns import typed

pytestmark = pytest.mark.models

ODD_BYTES = base64.b64encode(b"\x01\x02\x03").decode()
SILENCE_40S = base64.b64encode(np.zeros(24_000 * 40, dtype="<i2").tobytes()).decode()

# invalid_audio: base64 is decoded where the JSON is read, so bad audio never reaches the session
PARSE_CODES = {"invalid_json", "invalid_event", "missing_type", "unknown_event", "invalid_audio"}
BAD_EVENTS: list[tuple[str, object, str, str]] = [
    # (case, event as sent, expected error code, a word the message must contain)
    ("not json", "{type: session.update", "invalid_json", "JSON"),
    ("not an object", "[1, 2, 3]", "invalid_event", "object"),
    ("no type", {"audio": "AAAA"}, "missing_type", "type"),
    ("unknown type", {"type": "input_audio_buffer.shout"}, "unknown_event", "input_audio_buffer.append"),
    ("append without audio", {"type": "input_audio_buffer.append"}, "invalid_event", "audio"),
    ("odd byte count", {"type": "input_audio_buffer.append", "audio": ODD_BYTES}, "invalid_audio", "even"),
    ("bad base64", {"type": "input_audio_buffer.append", "audio": "%%%not base64%%%"}, "invalid_audio", "base64"),
    ("empty audio", {"type": "input_audio_buffer.append", "audio": ""}, "empty_audio", "no audio"),
    ("40 s in one append", {"type": "input_audio_buffer.append", "audio": SILENCE_40S}, "audio_too_long", "chunks"),
    (
        "unsupported rate",
        {"type": "session.update", "session": {"input_sample_rate": 44100}},
        "invalid_event",
        "input_sample_rate",
    ),
    ("unknown voice", {"type": "session.update", "session": {"voice": "nobody"}}, "unknown_voice", "jf_alpha"),
    (
        "oversized text",
        {
            "type": "conversation.item.create",
            "item": {"role": "user", "content": [{"type": "input_text", "text": "word " * 1_000}]},
        },
        "text_too_long",
        "Shorten",
    ),
    (
        "empty text",
        {
            "type": "conversation.item.create",
            "item": {"role": "user", "content": [{"type": "input_text", "text": " "}]},
        },
        "empty_text",
        "text",
    ),
    (
        "assistant item",
        {
            "type": "conversation.item.create",
            "item": {"role": "assistant", "content": [{"type": "text", "text": "hi"}]},
        },
        "unsupported_item",
        "instructions",
    ),
    ("cancel with nothing running", {"type": "response.cancel"}, "response_cancel_not_active", "No response"),
    (
        "commit with nothing buffered",
        {"type": "input_audio_buffer.commit"},
        "input_audio_buffer_commit_empty",
        "speech",
    ),
]


@pytest.mark.parametrize(("case", "raw", "code", "word"), BAD_EVENTS, ids=[case for case, *_ in BAD_EVENTS])
def test_parse_or_session_reports_each_bad_event(case: str, raw: object, code: str, word: str) -> None:
    """Shape problems are caught by `parse_client_event` alone; the rest parse and are judged by the session."""
    parsed = parse_client_event(json.dumps(raw) if isinstance(raw, dict) else raw)  # type: ignore[arg-type]
    if code in PARSE_CODES:
        assert isinstance(parsed, ErrorEvent), case
        assert parsed.error.code == code, parsed.error
        assert word.lower() in parsed.error.message.lower()
    else:
        assert not isinstance(parsed, ErrorEvent), (case, parsed)


async def test_session_survives_every_bad_event(engine, open_client) -> None:
    client = await open_client(engine)
    for case, raw, code, word in BAD_EVENTS:
        before = len(client.events)
        await client.session.send(raw)  # type: ignore[arg-type]
        error = await client.wait_type("error", after=before, timeout=10)
        assert error.error.code == code, (case, error.error)
        assert word.lower() in error.error.message.lower(), (case, error.error.message)
    # ... and it still works afterwards: a typed question gets a spoken reply.
    before = len(client.events)
    await client.session.send(typed("Are you still there?"))
    done = await client.wait_type("response.done", after=before)
    assert done.response.status == "completed"
    assert client.reply_audio(done.response.id).size > 0
    assert client.session.config.voice == "jf_alpha"  # the rejected update changed nothing


async def test_a_typed_client_event_object_is_accepted_as_is(engine, open_client) -> None:
    client = await open_client(engine)
    await client.session.send(InputAudioBufferAppend(audio=base64.b64encode(b"\x00\x00" * 480).decode()))
    await client.session.send({"type": "input_audio_buffer.clear"})
    assert not client.of_type("error")
