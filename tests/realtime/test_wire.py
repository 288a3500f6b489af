"""Event mapping checked against the events StepFun and OpenAI document (documented_events.json),
and our own server events checked against the official `openai` SDK's pydantic types."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import TypeAdapter

from model.events import (
    ConversationItemCreate,
    ErrorEvent,
    InputAudioBufferCommitted,
    InputTranscriptionCompleted,
    ResponseAudioDelta,
    ResponseAudioDone,
    ResponseAudioTranscriptDelta,
    ResponseAudioTranscriptDone,
    ResponseCreated,
    ResponseDone,
    ResponseInfo,
    SessionConfig,
    SessionCreated,
    SessionUpdate,
    SessionUpdated,
    SpeechStarted,
    SpeechStopped,
    TurnDetection,
    error_event,
)
from model.realtime.wire import (
    WireError,
    client_event_json,
    parse_client_message,
    parse_server_message,
    server_event_json,
)

DOCUMENTED = json.loads((Path(__file__).parent / "documented_events.json").read_text())


def _ids(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events]


@pytest.mark.parametrize("doc", DOCUMENTED["stepfun_client"], ids=_ids(DOCUMENTED["stepfun_client"]))
def test_documented_client_events_parse_and_round_trip(doc: dict[str, Any]) -> None:
    event, is_ga = parse_client_message(json.dumps(doc))
    assert event is not None and event.type == doc["type"] and not is_ga
    # what our client sends for it carries every documented field unchanged
    sent = json.loads(client_event_json(event, extensions=False))
    for key, value in doc.items():
        if isinstance(value, dict):
            for inner_key, inner_value in value.items():
                if isinstance(inner_value, dict):
                    assert {k: sent[key][inner_key][k] for k in inner_value} == inner_value
                else:
                    assert sent[key][inner_key] == inner_value, (key, inner_key)
        else:
            assert sent[key] == value


@pytest.mark.parametrize("doc", DOCUMENTED["openai_beta_server"], ids=_ids(DOCUMENTED["openai_beta_server"]))
def test_documented_server_events_map_to_our_types(doc: dict[str, Any]) -> None:
    event = parse_server_message(json.dumps(doc))
    assert event is not None and event.type == doc["type"]
    for field in ("item_id", "response_id", "delta", "transcript", "audio_start_ms", "audio_end_ms"):
        if field in doc:  # audio is int16 samples in the process: compare it as the wire spells it
            assert event.model_dump(mode="json")[field] == doc[field]
    if doc["type"] == "response.done":
        assert event.response.status == "completed"
    if doc["type"] == "error":
        assert event.error.message == doc["error"]["message"] and event.error.code == "invalid_event"
    if doc["type"] == "session.updated":
        assert event.session.voice == "qingchunshaonv" and event.session.turn_detection.silence_duration_ms == 500


@pytest.mark.parametrize(
    "doc", DOCUMENTED["openai_beta_server_not_modelled"], ids=_ids(DOCUMENTED["openai_beta_server_not_modelled"])
)
def test_events_we_do_not_model_are_skipped_not_errors(doc: dict[str, Any]) -> None:
    assert parse_server_message(json.dumps(doc)) is None


def test_ga_server_events_get_beta_names() -> None:
    delta, transcript, done, created = (parse_server_message(json.dumps(d)) for d in DOCUMENTED["openai_ga_server"])
    assert isinstance(delta, ResponseAudioDelta) and delta.delta.tolist() == [0, 0]  # base64 is decoded at the wire
    assert isinstance(transcript, ResponseAudioTranscriptDelta) and transcript.delta == "Hi"
    assert isinstance(done, ResponseAudioDone)
    assert isinstance(created, SessionCreated)
    assert created.session.voice == "marin" and created.session.turn_detection.type == "server_vad"


def test_stepfun_samples_parse_and_deltas_get_the_reply_in_progress() -> None:
    created, delta, transcript, done = DOCUMENTED["stepfun_server"]
    session = parse_server_message(json.dumps(created))
    assert isinstance(session, SessionCreated) and session.session.max_response_output_tokens == 4096
    # StepFun's samples leave out response_id; the client supplies the reply it is reading
    audio = parse_server_message(json.dumps(delta), response_id="resp_9")
    assert isinstance(audio, ResponseAudioDelta) and audio.response_id == "resp_9" and audio.item_id == "msg_008"
    text = parse_server_message(json.dumps(transcript), response_id="resp_9")
    assert isinstance(text, ResponseAudioTranscriptDelta) and text.delta == "Hello, how can I a"
    ended = parse_server_message(json.dumps(done), response_id="resp_9")
    assert isinstance(ended, ResponseAudioDone) and ended.response_id == "traceid"  # its own id is kept


def test_ga_items_keep_messages_with_beta_content_types() -> None:
    done, added, tool_call = DOCUMENTED["openai_ga_server_items"]
    parsed = parse_server_message(json.dumps(done))
    assert isinstance(parsed, ResponseDone)  # a tool call in the output does not make it unreadable
    assert [part.type for item in parsed.response.output for part in item.content] == ["audio"]
    item = parse_server_message(json.dumps(added))
    assert item is not None and item.type == "conversation.item.created" and item.item.content[0].type == "text"
    assert parse_server_message(json.dumps(tool_call)) is None


def test_ga_client_session_update_is_flattened() -> None:
    update, item = DOCUMENTED["openai_ga_client"]
    event, is_ga = parse_client_message(json.dumps(update))
    assert is_ga and isinstance(event, SessionUpdate)
    session = event.session
    assert session.voice == "marin" and session.speed == 1.2 and session.modalities == ["audio"]
    assert session.turn_detection is not None and session.turn_detection.type == "semantic_vad"
    assert session.input_audio_transcription is not None and session.input_audio_transcription.model == "whisper-1"
    assert session.input_sample_rate == 24_000 and session.output_sample_rate == 24_000
    event, is_ga = parse_client_message(json.dumps(item))
    assert is_ga and isinstance(event, ConversationItemCreate) and event.item.content[0].type == "text"


@pytest.mark.parametrize(
    ("message", "code", "in_message"),
    [
        ("{not json", "invalid_json", "not valid JSON"),
        ("[1, 2]", "invalid_event", '"type"'),
        ('{"type": "session.explode"}', "unknown_event", "session.explode"),
        ('{"type": "input_audio_buffer.append"}', "invalid_event", "audio"),
        ('{"type": "session.update", "session": {"speed": 9}}', "invalid_event", "session.speed"),
        (
            '{"type": "session.update", "session": {"type": "realtime", "audio": {"input": {"format": {"type": "audio/pcmu"}}}}}',
            "unsupported_audio_format",
            "audio/pcm",
        ),
        ('{"type": "session.update", "session": {"input_sample_rate": 8000}}', "invalid_event", "input_sample_rate"),
    ],
)
def test_bad_client_messages_name_the_problem(message: str, code: str, in_message: str) -> None:
    with pytest.raises(WireError) as caught:
        parse_client_message(message)
    assert caught.value.code == code
    assert in_message in str(caught.value)


def test_truncate_is_read_and_housekeeping_events_are_accepted_silently() -> None:
    event, _ = parse_client_message('{"type": "conversation.item.truncate", "item_id": "x", "audio_end_ms": 10}')
    assert event is not None and event.type == "conversation.item.truncate"
    assert (event.item_id, event.content_index, event.audio_end_ms) == ("x", 0, 10)
    assert parse_client_message('{"type": "output_audio_buffer.clear"}')[0] is None


def test_remote_services_get_no_extension_fields_and_only_their_voices() -> None:
    config = SessionConfig(instructions="hi", voice="jf_alpha", speed=1.2, language="en", greeting="Hello!")
    sent = json.loads(
        client_event_json(SessionUpdate(session=config), extensions=False, voices=frozenset({"qingchunshaonv"}))
    )
    assert sent["session"] == {"instructions": "hi"}
    ours = json.loads(client_event_json(SessionUpdate(session=config)))
    assert ours["session"]["speed"] == 1.2 and ours["session"]["voice"] == "jf_alpha"


# What our endpoint sends must validate against the official SDK's own (beta) event types.
OUR_SERVER_EVENTS = [
    SessionCreated(session=SessionConfig(instructions="x", voice="jf_alpha", turn_detection=TurnDetection())),
    SessionUpdated(session=SessionConfig(speed=1.1)),
    SpeechStarted(audio_start_ms=120, item_id="item_1"),
    SpeechStopped(audio_end_ms=900, item_id="item_1"),
    InputAudioBufferCommitted(item_id="item_1"),
    InputTranscriptionCompleted(item_id="item_1", transcript="hello"),
    ResponseCreated(response=ResponseInfo(id="resp_1")),
    ResponseAudioTranscriptDelta(response_id="resp_1", item_id="item_2", delta="Hi"),
    ResponseAudioDelta(response_id="resp_1", item_id="item_2", delta="AAAAAA=="),
    ResponseAudioDone(response_id="resp_1", item_id="item_2"),
    ResponseAudioTranscriptDone(response_id="resp_1", item_id="item_2", transcript="Hi"),
    ResponseDone(response=ResponseInfo(id="resp_1", status="cancelled")),
    error_event("bad", code="invalid_event"),
]


@pytest.mark.parametrize("event", OUR_SERVER_EVENTS, ids=[e.type for e in OUR_SERVER_EVENTS])
def test_our_server_events_validate_against_the_openai_sdk_types(event: Any) -> None:
    from openai.types.beta.realtime.realtime_server_event import RealtimeServerEvent

    parsed = TypeAdapter(RealtimeServerEvent).validate_json(server_event_json(event))
    assert parsed.type == event.type
    if isinstance(event, ErrorEvent):
        assert parsed.error.message == "bad" and parsed.error.code == "invalid_event"


def test_ga_clients_get_ga_names_that_validate_against_the_sdk_ga_types() -> None:
    from openai.types.realtime.realtime_server_event import RealtimeServerEvent

    text = server_event_json(
        ResponseAudioDelta(response_id="r", item_id="i", delta=np.array([1, -1], np.int16)), ga=True
    )
    parsed = TypeAdapter(RealtimeServerEvent).validate_json(text)
    assert parsed.type == "response.output_audio.delta" and parsed.delta == "AQD//w=="  # int16 [1, -1], little endian


def test_ga_clients_get_the_nested_session_shape() -> None:
    from openai.types.realtime.realtime_server_event import RealtimeServerEvent

    config = SessionConfig(
        instructions="x", voice="jf_alpha", speed=1.1, turn_detection=TurnDetection(), modalities=["audio"]
    )
    parsed = TypeAdapter(RealtimeServerEvent).validate_json(server_event_json(SessionUpdated(session=config), ga=True))
    assert parsed.session.audio.output.voice == "jf_alpha" and parsed.session.audio.output.speed == 1.1
    assert parsed.session.audio.input.turn_detection.type == "server_vad"
    assert parsed.session.output_modalities == ["audio"]
