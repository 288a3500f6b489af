"""What the hosted-engine tests share: the session config the app composes, a session opened on a
fake service, speaking into it, and the checks on one spoken turn."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import numpy as np

from model.events import (
    ContentPart,
    ConversationItem,
    ConversationItemCreate,
    ErrorEvent,
    InputAudioBufferAppend,
    InputAudioBufferCommit,
    ResponseCreate,
    ResponseDone,
    ServerEvent,
    SessionConfig,
    encode_pcm16,
)
from model.realtime.client import RealtimeClientEngine
from model.realtime.presets import RealtimeService
from tests.realtime.fake_service import REPLY_TEXT, silence, tone
from tests.turn_support import AUDIO_TURN_ORDER, first_positions, until

__all__ = [
    "composed_config",
    "opened",
    "speak",
    "assert_spoken_turn",
    "refused_then_typed",
    "started_from_settings",
    "types_of",
    "until",
]


def composed_config(*, silence_ms: int = 300, allow_interrupt: bool = True) -> SessionConfig:
    """Exactly what the Live panel asks of any engine for a persona in a scene (compose_session)."""
    from stepaudio_ui.studio.compose import compose_session
    from stepaudio_ui.studio.specs import PersonaSpec, SceneSpec

    persona = PersonaSpec(name="Ada", character="A patient museum guide.", voice="jf_alpha", speed=1.2)
    turn_taking = {"silence_ms": silence_ms, "allow_interrupt": allow_interrupt}
    return compose_session(persona, SceneSpec(name="Quiet", verbosity=2, turn_taking=turn_taking))


@contextlib.asynccontextmanager
async def opened(
    service: RealtimeService, config: SessionConfig | None = None
) -> AsyncIterator[tuple[Any, AsyncIterator[ServerEvent], list[ServerEvent]]]:
    """(session, its events, the list `until` fills), the session closed on exit."""
    session = await RealtimeClientEngine(service).open_session(config or composed_config())
    try:
        yield session, session.events(), []
    finally:
        await session.close()


async def started_from_settings(tmp_path: Any, engine_name: str, **fields: Any) -> None:
    """Start `engine_name` as the app registers it from these settings, until its session is updated."""
    from stepaudio_ui.engines import remote_engines
    from stepaudio_ui.settings import Settings

    settings = Settings(data_dir=tmp_path, _env_file=None, **fields)
    async with opened(remote_engines(settings)[engine_name].service) as (_session, events, seen):
        await until(events, "session.updated", seen)


async def speak(session: Any, *, speech_ms: int = 600, pause_ms: int = 600, rate: int = 24_000) -> None:
    """A tone the fake's VAD takes for speech, then silence, in 100 ms appends at `rate`."""
    audio = np.concatenate([tone(speech_ms), silence(pause_ms)])
    if rate != 24_000:
        import soxr

        audio = soxr.resample(audio, 24_000, rate).astype(np.int16)
    step = rate // 10
    for start in range(0, audio.size, step):
        await session.send(InputAudioBufferAppend(audio=encode_pcm16(audio[start : start + step])))


async def refused_then_typed(
    session: Any, events: AsyncIterator[ServerEvent], seen: list[ServerEvent], text: str
) -> tuple[ErrorEvent, ResponseDone]:
    """Commit an empty buffer (both services document that as an error), then hold a typed turn:
    returns the error the caller got and the typed turn's `response.done`."""
    await session.send(InputAudioBufferCommit())
    error = await until(events, "error", seen)
    typed = ConversationItem(role="user", content=[ContentPart(type="input_text", text=text)])
    await session.send(ConversationItemCreate(item=typed))
    await session.send(ResponseCreate())
    return error, await until(events, "response.done", seen)


def assert_spoken_turn(seen: list[ServerEvent], *, reply_ms: int) -> int:
    """The turn's events came in order with the fake's whole reply; returns the ms of speech it heard."""
    kinds = types_of(seen)
    positions = first_positions(kinds, AUDIO_TURN_ORDER)
    assert positions == sorted(positions), kinds
    assert "".join(e.delta for e in seen if e.type == "response.audio_transcript.delta") == REPLY_TEXT
    audio = b"".join(e.delta.tobytes() for e in seen if e.type == "response.audio.delta")
    assert len(audio) == 24_000 * 2 * reply_ms // 1_000
    heard = next(e for e in seen if e.type == "conversation.item.input_audio_transcription.completed")
    return int(heard.transcript.split()[1])  # "heard N ms of speech"


def types_of(seen: list[ServerEvent]) -> list[str]:
    return [e.type for e in seen]
