"""RealtimeClientEngine (the engine behind StepAudio 2.5 Realtime and gpt-realtime) end to end against
our own /v1/realtime: a real socket, the real client code, the real embedded engine on the far side."""

from __future__ import annotations

import asyncio
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import SecretStr

from model.events import (
    ContentPart,
    ConversationItem,
    ConversationItemCreate,
    InputAudioBufferAppend,
    ResponseCreate,
    ServerEvent,
    SessionConfig,
    SessionUpdate,
    encode_pcm16,
)
from model.protocol import Engine
from model.realtime.client import RealtimeClientEngine, RealtimeConnectError
from model.realtime.presets import RealtimeService, openai_service, own_endpoint_service, stepfun_service
from tests.realtime.conftest import PERSONA_SLUG, SCENE_SLUG, RunningServer, free_port, speech_24k
from tests.turn_support import until

pytestmark = pytest.mark.models

TIMEOUT_S = 90.0


def _typed(text: str) -> ConversationItemCreate:
    return ConversationItemCreate(
        item=ConversationItem(role="user", content=[ContentPart(type="input_text", text=text)])
    )


async def test_typed_conversation_through_the_client_engine(fast_server: RunningServer) -> None:
    engine = RealtimeClientEngine(own_endpoint_service(url=fast_server.url, model=PERSONA_SLUG))
    assert isinstance(engine, Engine) and engine.availability().usable
    session = await engine.open_session(SessionConfig(max_sentences=1))
    try:
        events = session.events()
        seen: list[ServerEvent] = []
        created = await until(events, "session.created", seen, TIMEOUT_S)
        assert "Ada" in (created.session.instructions or "")
        updated = await until(events, "session.updated", seen, TIMEOUT_S)
        assert updated.session.max_sentences == 1  # our extension field made it through

        await session.send(_typed("Hello Ada, which clock do you like best?"))
        await session.send(ResponseCreate())
        done = await until(events, "response.done", seen, TIMEOUT_S)
        assert done.response.status == "completed"
        audio = b"".join(e.delta.tobytes() for e in seen if e.type == "response.audio.delta")
        assert len(audio) > 24_000 * 2 * 0.3
        assert "".join(e.delta for e in seen if e.type == "response.audio_transcript.delta").strip()
    finally:
        await session.close()
    await _wait_for(lambda: fast_server.app.state.realtime.active == 0)
    _assert_recorded(
        fast_server, reply_text="".join(e.delta for e in seen if e.type == "response.audio_transcript.delta")
    )


def _assert_recorded(server: RunningServer, reply_text: str) -> None:
    """The conversation is in the history like a Live-panel one: versions, engine, turns, audio."""
    from stepaudio_ui.live import conversations
    from stepaudio_ui.live.session import PERSONA_WAV, conversation_audio_dir

    with server.ctx.db.session() as s:
        (summary,) = conversations.list_conversations(s)
        view = conversations.get_conversation(s, conversation_id=summary.id)
    assert (summary.persona_slug, summary.persona_version) == (PERSONA_SLUG, 1)
    assert (summary.scene_slug, summary.scene_version) == (SCENE_SLUG, 1)
    assert summary.engine == "embedded" and summary.ended_at is not None
    assert [t.role for t in view.turns] == ["user", "assistant"]
    assert "which clock" in view.turns[0].text and view.turns[1].text == reply_text.strip()
    wav = conversation_audio_dir(server.ctx.settings.data_dir, summary.id) / PERSONA_WAV
    assert wav.stat().st_size > 24_000 * 2 * 0.3


async def test_16k_caller_on_a_24k_service_is_resampled_both_ways(fast_server: RunningServer, tmp_path: Path) -> None:
    """A service without our rate extension (like the hosted ones) always speaks 24 kHz: the client
    converts a 16 kHz caller's audio on the way in and the replies on the way out."""
    from model.audio import float_to_int16, int16_to_float, resample

    service = RealtimeService(
        engine_name="compatible",
        title="a 24 kHz-only realtime service",
        url=fast_server.url,
        model=PERSONA_SLUG,
        api_key=None,
        key_setting="-",
        requires_key=False,
        transcription_model="whisper",
    )
    config = SessionConfig(input_sample_rate=16_000, output_sample_rate=16_000)
    session = await RealtimeClientEngine(service).open_session(config)
    speech_16k = float_to_int16(
        resample(int16_to_float(speech_24k("What is the oldest clock in the museum?", tmp_path)), 24_000, 16_000)
    )
    audio = np.concatenate([speech_16k, np.zeros(16_000, dtype=np.int16)])
    try:
        for start in range(0, audio.size, 1_600):
            await session.send(InputAudioBufferAppend(audio=encode_pcm16(audio[start : start + 1_600])))
        seen: list[ServerEvent] = []
        done = await until(session.events(), "response.done", seen, TIMEOUT_S)
        assert done.response.status == "completed"
        heard = next(e for e in seen if e.type == "conversation.item.input_audio_transcription.completed")
        # the service got intelligible 24 kHz speech
        assert any(word in heard.transcript.lower() for word in ("clock", "museum", "oldest"))
        received = sum(e.delta.size for e in seen if e.type == "response.audio.delta")
    finally:
        await session.close()
    await _wait_for(lambda: fast_server.app.state.realtime.active == 0)
    # the server recorded what it sent at 24 kHz; the caller got the same duration at 16 kHz
    from stepaudio_ui.live import conversations
    from stepaudio_ui.live.session import PERSONA_WAV, conversation_audio_dir

    with fast_server.ctx.db.session() as s:
        (summary,) = conversations.list_conversations(s)
    with wave.open(str(conversation_audio_dir(fast_server.ctx.settings.data_dir, summary.id) / PERSONA_WAV)) as wav:
        sent_seconds = wav.getnframes() / wav.getframerate()
    assert received / 16_000 == pytest.approx(sent_seconds, abs=0.1)


async def test_dropped_connection_gives_one_clear_error_and_a_closed_session(
    fast_server: RunningServer, relay_factory: Any
) -> None:
    relay = await relay_factory(fast_server.port)
    service = own_endpoint_service(url=f"ws://127.0.0.1:{relay.port}/v1/realtime")
    session = await RealtimeClientEngine(service).open_session(SessionConfig())
    events = session.events()
    seen: list[ServerEvent] = []
    await until(events, "session.updated", seen, TIMEOUT_S)

    relay.cut()  # mid-conversation, the network goes away
    error = await until(events, "error", seen, TIMEOUT_S)
    assert error.error.code == "connection_lost"
    assert "lost mid-conversation" in error.error.message and "reconnect" in error.error.message
    assert [e async for e in events] == []  # the event stream ends: nothing hangs
    assert session.closed

    await session.send(SessionUpdate(session=SessionConfig(instructions="anyone?")))
    late = session.events()
    closed_error = await until(late, "error", [], TIMEOUT_S)
    assert closed_error.error.code == "session_closed"
    await session.close()
    await _wait_for(lambda: fast_server.app.state.realtime.active == 0)


async def test_bad_key_is_refused_with_the_setting_to_fix(settings: Any, unpaced_engine: Any) -> None:
    from tests.realtime.conftest import build_realtime_app, serve

    app, _ctx = build_realtime_app(
        settings.model_copy(update={"realtime_token": SecretStr("right")}), {"embedded": unpaced_engine}
    )
    with serve(app, _ctx.settings) as port:
        url = f"ws://127.0.0.1:{port}/v1/realtime"
        # the StepFun preset, pointed at our endpoint with a wrong key
        engine = RealtimeClientEngine(stepfun_service(api_key="wrong", url=url, model=PERSONA_SLUG))
        with pytest.raises(RealtimeConnectError, match="STEPAUDIO_STEPFUN_API_KEY"):
            await engine.open_session(SessionConfig())


async def test_unreachable_service_and_missing_key_are_clear() -> None:
    missing = RealtimeClientEngine(stepfun_service(api_key=None))
    assert not missing.availability().usable
    assert "STEPAUDIO_STEPFUN_API_KEY" in missing.availability().reason
    with pytest.raises(RealtimeConnectError, match="STEPAUDIO_STEPFUN_API_KEY"):
        await missing.open_session(SessionConfig())
    assert "STEPAUDIO_OPENAI_API_KEY" in RealtimeClientEngine(openai_service(api_key=None)).availability().reason

    nobody = RealtimeClientEngine(
        RealtimeService(
            engine_name="nowhere",
            title="nowhere",
            url=f"ws://127.0.0.1:{free_port()}/v1/realtime",
            model="x",
            api_key="k",
            key_setting="X",
        )
    )
    with pytest.raises(RealtimeConnectError, match="could not connect"):
        await nobody.open_session(SessionConfig())


def test_presets_describe_the_hosted_services() -> None:
    stepfun = stepfun_service(api_key="k")
    assert stepfun.url == "wss://api.stepfun.com/v1/realtime" and stepfun.model == "stepaudio-2.5-realtime"
    assert {"qingchunshaonv", "wenrounansheng"} <= stepfun.voice_ids
    engine = RealtimeClientEngine(stepfun)
    assert engine.name == "stepfun" and len(engine.voices()) == len(stepfun.voices)
    # a persona's embedded voice is swapped for the service's default; a service voice is kept
    assert engine.fit_config(SessionConfig(voice="jf_alpha")).voice == "qingchunshaonv"
    assert engine.fit_config(SessionConfig(voice="wenrounansheng")).voice == "wenrounansheng"
    # the composed config asks our "whisper"; StepFun gets no transcription request, OpenAI its own model
    composed = SessionConfig(input_audio_transcription={"model": "whisper"})
    assert engine.fit_config(composed).input_audio_transcription is None
    gpt = RealtimeClientEngine(openai_service(api_key="k"))
    assert gpt.fit_config(composed).input_audio_transcription.model == "gpt-live-transcribe"
    # GA dialect, current model, and no OpenAI-Beta header (it selects the retired beta interface)
    assert (gpt.service.dialect, gpt.service.model) == ("openai-ga", "gpt-realtime-2.1")
    assert gpt.service.extra_headers == {} and stepfun.dialect == "stepfun"


async def _wait_for(condition: Any, timeout_s: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)
