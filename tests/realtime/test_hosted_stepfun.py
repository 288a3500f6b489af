"""StepAudio 2.5 Realtime through RealtimeClientEngine against a fake of StepFun's realtime API on a
real socket (tests/realtime/fake_stepfun.py): the documented session fields only, audio in, the
caller's transcript, audio and transcript out (deltas without response_id, as StepFun's samples
show them), cancelling on barge-in, errors, and the refusal of OpenAI's GA shapes."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.client import connect

from model.events import SessionUpdate
from model.realtime.presets import RealtimeService, stepfun_service
from tests.realtime.fake_stepfun import FakeStepFunRealtime
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

KEY = "step-test"


async def test_a_conversation_in_stepfuns_documented_dialect() -> None:
    async with FakeStepFunRealtime(reply_ms=800) as fake:
        config = composed_config(silence_ms=400)
        async with opened(stepfun_service(api_key=KEY, url=fake.url), config) as (session, events, seen):
            created = await until(events, "session.created", seen)
            assert created.session.max_response_output_tokens == 4096  # StepFun sends it as a string
            await until(events, "session.updated", seen)
            (request,) = fake.requests
            assert request.headers["Authorization"] == f"Bearer {KEY}"
            assert parse_qs(urlsplit(request.path).query) == {"model": ["stepaudio-2.5-realtime"]}
            (update,) = fake.received_of("session.update")
            assert update["session"] == {
                "modalities": ["text", "audio"],
                "instructions": config.instructions,
                "voice": "qingchunshaonv",  # StepFun's default for a persona voice it does not offer
                "input_audio_format": "pcm16",
                "output_audio_format": "pcm16",
                "turn_detection": {"type": "server_vad", "prefix_padding_ms": 300, "silence_duration_ms": 400},
            }

            await speak(session)
            done = await until(events, "response.done", seen)
    assert assert_spoken_turn(seen, reply_ms=800) == 600
    created_id = next(e for e in seen if e.type == "response.created").response.id
    deltas = [e for e in seen if e.type in ("response.audio.delta", "response.audio_transcript.delta")]
    # the deltas came without a response_id; the Live panel matches them to the reply by it
    assert {e.response_id for e in deltas} == {created_id}
    assert done.response.status == "completed"
    assert fake.errors_sent() == []


async def test_barge_in_cancels_the_reply() -> None:
    async with FakeStepFunRealtime(reply_ms=3_000, hold_replies=True) as fake:
        async with opened(stepfun_service(api_key=KEY, url=fake.url)) as (session, events, seen):
            await speak(session)
            await until(events, "response.created", seen)
            await speak(session, pause_ms=0)  # the caller talks over the reply
            await until(events, "input_audio_buffer.speech_started", seen)
            cancelled = await until(events, "response.done", seen)
    assert cancelled.response.status == "cancelled"
    (cancel,) = fake.received_of("response.cancel")
    assert cancel["event_id"]  # ours: an error it might cause (a race with the reply's end) is not the caller's
    assert fake.received_of("conversation.item.truncate") == []  # StepFun does not document it
    assert fake.errors_sent() == [] and "error" not in types_of(seen)


async def test_a_cancel_that_crosses_the_replys_end_is_not_the_callers_error() -> None:
    async with FakeStepFunRealtime(reply_ms=1_000, hold_replies=True) as fake:
        fake.finish_on_speech = True
        async with opened(stepfun_service(api_key=KEY, url=fake.url)) as (session, events, seen):
            await speak(session)
            await until(events, "response.created", seen)
            await speak(session, pause_ms=0)
            await until(events, "input_audio_buffer.speech_started", seen)
            await fake.wait_for(fake.errors_sent)
            await session.send(SessionUpdate(session=composed_config()))
            await until(events, "session.updated", seen)  # anything before it has been read
    (cancel,) = fake.received_of("response.cancel")
    (error,) = fake.errors_sent()
    assert error["error"]["event_id"] == cancel["event_id"]  # the service refused our own cancel...
    assert "error" not in types_of(seen)  # ...and the caller is not told about it


async def test_service_errors_reach_the_caller_and_the_session_goes_on() -> None:
    async with FakeStepFunRealtime() as fake:
        async with opened(stepfun_service(api_key=KEY, url=fake.url)) as (session, events, seen):
            error, done = await refused_then_typed(session, events, seen, "你好")
    assert error.error.code == "invalid_param" and error.error.message == "音频内容不完整"
    assert done.response.status == "completed" and "conversation.item.created" in types_of(seen)
    assert [e["error"]["code"] for e in fake.errors_sent()] == ["invalid_param"]


async def test_openai_ga_shapes_are_refused() -> None:
    async with FakeStepFunRealtime() as fake:
        async with connect(fake.url) as ws:
            await ws.recv()  # session.created
            ga = {"type": "realtime", "audio": {"output": {"voice": "qingchunshaonv"}}}
            await ws.send(json.dumps({"type": "session.update", "session": ga}))
            refused = json.loads(await ws.recv())
            await ws.send(json.dumps({"type": "conversation.item.truncate", "item_id": "x", "audio_end_ms": 1}))
            unknown = json.loads(await ws.recv())
        assert (refused["error"]["code"], refused["error"]["param"]) == ("invalid_param", "session.type")
        assert (unknown["error"]["code"], unknown["error"]["param"]) == ("invalid_value", "type")

        # the GA dialect pointed at StepFun: its session.update is refused
        ga_preset = RealtimeService(
            engine_name="stepfun",
            title="StepAudio 2.5 Realtime (StepFun)",
            url=fake.url,
            model="stepaudio-2.5-realtime",
            api_key=KEY,
            key_setting="STEPAUDIO_STEPFUN_API_KEY",
            dialect="openai-ga",
        )
        async with opened(ga_preset) as (_session, events, seen):
            error = await until(events, "error", seen)
        assert error.error.code == "invalid_param" and error.error.param.startswith("session.")


async def test_the_model_is_a_setting(tmp_path: Path) -> None:
    async with FakeStepFunRealtime() as fake:
        fields = {"stepfun_api_key": KEY, "stepfun_realtime_url": fake.url, "stepfun_realtime_model": "step-audio-2"}
        await started_from_settings(tmp_path, "stepfun", **fields)
    assert parse_qs(urlsplit(fake.requests[0].path).query) == {"model": ["step-audio-2"]}
    assert fake.errors_sent() == []
