"""gpt-realtime through RealtimeClientEngine against a fake of OpenAI's GA Realtime API on a real socket
(tests/realtime/fake_openai.py): the session config, audio in, the caller's transcript, audio and
transcript out, truncation on barge-in, errors, and the refusal of the retired beta dialect."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from model.events import (
    InputAudioBufferClear,
    ResponseCancel,
    ServerEvent,
    SessionUpdate,
)
from model.realtime.client import RealtimeClientEngine, RealtimeConnectError
from model.realtime.presets import RealtimeService, openai_service
from tests.realtime.fake_openai import PCM, FakeOpenAIRealtime
from tests.realtime.hosted_support import (
    assert_spoken_turn,
    composed_config,
    opened,
    refused_then_typed,
    speak,
    started_from_settings,
    types_of,
    until,
)

KEY = "sk-test"


async def test_a_conversation_in_the_ga_dialect() -> None:
    async with FakeOpenAIRealtime(reply_ms=1_200) as fake:
        config = composed_config().model_copy(update={"input_sample_rate": 16_000})
        async with opened(openai_service(api_key=KEY, url=fake.url), config) as (session, events, seen):
            await until(events, "session.updated", seen)
            (request,) = fake.requests
            assert "OpenAI-Beta" not in request.headers
            assert request.headers["Authorization"] == f"Bearer {KEY}"
            assert parse_qs(urlsplit(request.path).query) == {"model": ["gpt-realtime-2.1"]}
            (update,) = fake.received_of("session.update")
            assert update["session"] == {
                "type": "realtime",
                "model": "gpt-realtime-2.1",
                "instructions": config.instructions,
                "output_modalities": ["audio"],  # GA's spelling of beta ["text", "audio"]
                "audio": {
                    "input": {
                        "format": PCM,
                        "turn_detection": {
                            "type": "server_vad",
                            "threshold": 0.5,
                            "prefix_padding_ms": 300,
                            "silence_duration_ms": 300,
                            "create_response": True,
                            "interrupt_response": True,
                        },
                        "transcription": {"model": "gpt-live-transcribe", "language": "en"},
                    },
                    # the persona's embedded voice is not OpenAI's: the service's default instead
                    "output": {"format": PCM, "voice": "marin", "speed": 1.2},
                },
            }  # no temperature, greeting, max_sentences or sample rates: GA refuses unknown parameters

            await speak(session, rate=16_000)  # a 16 kHz caller: the service hears 24 kHz
            done = await until(events, "response.done", seen)
    heard_ms = assert_spoken_turn(seen, reply_ms=1_200)
    assert abs(heard_ms - 600) <= 100  # 600 ms of speech, at the right rate
    assert done.response.status == "completed" and done.response.output[0].content[0].type == "audio"
    assert fake.errors_sent() == []


async def _reply_heard(session: object, events: object, seen: list[ServerEvent], reply_ms: int) -> str:
    """Speak, then read until the whole reply's audio arrived; returns the reply's item id."""
    await speak(session)
    deltas = 0
    while deltas < reply_ms // 100:
        event = await until(events, "response.audio.delta", seen)
        deltas += 1
    return event.item_id


async def test_barge_in_truncates_the_reply_to_what_was_heard() -> None:
    async with FakeOpenAIRealtime(reply_ms=5_000, hold_replies=True) as fake:
        async with opened(openai_service(api_key=KEY, url=fake.url)) as (session, events, seen):
            item_id = await _reply_heard(session, events, seen, 5_000)
            await speak(session, pause_ms=0)  # the caller talks over the reply
            await until(events, "input_audio_buffer.speech_started", seen)
            cancelled = await until(events, "response.done", seen)
            await fake.wait_for(lambda: any(e["type"] == "conversation.item.truncated" for e in fake.sent))
    assert cancelled.response.status == "cancelled"  # the service stopped it (interrupt_response)
    (truncate,) = fake.received_of("conversation.item.truncate")
    assert truncate["item_id"] == item_id and truncate["content_index"] == 0
    assert isinstance(truncate["audio_end_ms"], int) and 0 <= truncate["audio_end_ms"] <= 5_000
    assert fake.received_of("response.cancel") == []  # GA cancels by itself; a second cancel would be an error
    assert fake.errors_sent() == [] and "error" not in types_of(seen)


async def test_typed_interruption_cancels_then_truncates() -> None:
    async with FakeOpenAIRealtime(reply_ms=3_000, hold_replies=True) as fake:
        async with opened(openai_service(api_key=KEY, url=fake.url)) as (session, events, seen):
            item_id = await _reply_heard(session, events, seen, 3_000)
            await session.send(ResponseCancel())  # what the Live panel sends before typed text
            cancelled = await until(events, "response.done", seen)
            await fake.wait_for(lambda: fake.received_of("conversation.item.truncate"))
    assert cancelled.response.status == "cancelled"
    assert [e["type"] for e in fake.received][-2:] == ["response.cancel", "conversation.item.truncate"]
    assert fake.received_of("conversation.item.truncate")[0]["item_id"] == item_id
    assert fake.errors_sent() == []


async def test_no_truncation_when_the_scene_does_not_allow_interrupting() -> None:
    async with FakeOpenAIRealtime(reply_ms=2_000, hold_replies=True) as fake:
        config = composed_config(allow_interrupt=False)
        async with opened(openai_service(api_key=KEY, url=fake.url), config) as (session, events, seen):
            await _reply_heard(session, events, seen, 2_000)
            await speak(session, pause_ms=0)
            await until(events, "input_audio_buffer.speech_started", seen)
            await session.send(InputAudioBufferClear())  # anything sent on a barge-in went out before this
            await fake.wait_for(lambda: fake.received_of("input_audio_buffer.clear"))
    assert fake.received_of("conversation.item.truncate") == []
    assert "response.done" not in types_of(seen)  # the service kept the reply going too


async def test_service_errors_reach_the_caller_and_the_session_goes_on() -> None:
    async with FakeOpenAIRealtime() as fake:
        async with opened(openai_service(api_key=KEY, url=fake.url)) as (session, events, seen):
            error, done = await refused_then_typed(session, events, seen, "Hello?")
            await session.send(SessionUpdate(session=composed_config(silence_ms=800)))
            await until(events, "session.updated", seen)
    assert error.error.code == "input_audio_buffer_commit_empty"
    assert done.response.status == "completed" and "conversation.item.created" in types_of(seen)
    assert [e["error"]["code"] for e in fake.errors_sent()] == ["input_audio_buffer_commit_empty"]
    second = fake.received_of("session.update")[1]["session"]
    # a voice once spoken can't change on OpenAI: the unchanged voice is not sent again
    assert "voice" not in second["audio"]["output"]
    assert second["audio"]["input"]["turn_detection"]["silence_duration_ms"] == 800


async def test_the_retired_beta_dialect_is_refused_as_openai_does() -> None:
    async with FakeOpenAIRealtime() as fake:
        # the handshake the engine used before: OpenAI-Beta header -> error, then close 4000
        async with connect(f"{fake.url}?model=gpt-realtime", additional_headers={"OpenAI-Beta": "realtime=v1"}) as ws:
            first = json.loads(await ws.recv())
            with pytest.raises(ConnectionClosed) as closed:
                await ws.recv()
        assert first["type"] == "error" and first["error"]["code"] == "beta_api_shape_disabled"
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (
            4000,
            "invalid_request_error.beta_api_shape_disabled",
        )

        beta = RealtimeService(
            engine_name="gpt-realtime",
            title="gpt-realtime (OpenAI)",
            url=fake.url,
            model="gpt-realtime",
            api_key=KEY,
            key_setting="STEPAUDIO_OPENAI_API_KEY",
            extra_headers={"OpenAI-Beta": "realtime=v1"},
        )
        with pytest.raises(RealtimeConnectError, match="Beta API is no longer supported"):
            await RealtimeClientEngine(beta).open_session(composed_config())

        # without the header, beta-shaped events are refused one by one
        async with opened(dataclasses.replace(beta, extra_headers={})) as (_session, events, seen):
            error = await until(events, "error", seen)
        assert (error.error.code, error.error.param) == ("missing_required_parameter", "session.type")
        async with connect(fake.url) as ws:
            await ws.recv()  # session.created
            await ws.send(
                json.dumps({"type": "session.update", "session": {"type": "realtime", "modalities": ["audio"]}})
            )
            unknown = json.loads(await ws.recv())
        assert unknown["error"]["code"] == "unknown_parameter" and unknown["error"]["param"] == "session.modalities"

        # a stray OpenAI-Beta header configured for the GA preset is never sent
        stray = dataclasses.replace(
            openai_service(api_key=KEY, url=fake.url), extra_headers={"OpenAI-Beta": "realtime=v1"}
        )
        async with opened(stray):
            pass
        assert "OpenAI-Beta" not in fake.requests[-1].headers


async def test_model_and_transcription_model_are_settings(tmp_path: Path) -> None:
    from stepaudio_ui.settings import Settings

    assert Settings(_env_file=None).openai_realtime_model == "gpt-realtime-2.1"
    async with FakeOpenAIRealtime() as fake:
        await started_from_settings(
            tmp_path,
            "gpt-realtime",
            openai_api_key=KEY,
            openai_realtime_url=fake.url,
            openai_realtime_model="gpt-realtime-2.1-mini",
            openai_realtime_transcription_model="gpt-realtime-whisper",
        )
    assert parse_qs(urlsplit(fake.requests[0].path).query) == {"model": ["gpt-realtime-2.1-mini"]}
    (update,) = fake.received_of("session.update")
    assert update["session"]["model"] == "gpt-realtime-2.1-mini"
    assert update["session"]["audio"]["input"]["transcription"]["model"] == "gpt-realtime-whisper"
