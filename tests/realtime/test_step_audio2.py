"""Step-Audio 2 mini: the pure parts everywhere; the model itself only where CUDA and the extra are present."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np
import pytest

from model.events import SessionConfig
from model.step_audio2.engine import StepAudio2Engine
from model.step_audio2.parts import (
    AUDIO_TOKEN_OFFSET,
    TEXT_TOKEN_LIMIT,
    HistoryTurn,
    build_messages,
    reference_clip,
    resample_pcm16,
    split_output_tokens,
    wav_bytes_to_pcm16,
    write_wav_16k,
)
from model.step_audio2.weights import gpu_availability


def test_messages_for_a_first_spoken_turn() -> None:
    messages = build_messages("You are Ada.", [], HistoryTurn("human", audio_path="/tmp/turn-0.wav"))
    assert messages == [
        {"role": "system", "content": "You are Ada."},
        {"role": "human", "content": [{"type": "audio", "audio": "/tmp/turn-0.wav"}]},
        {"role": "assistant", "content": "<tts_start>", "eot": False},
    ]


def test_messages_carry_multi_turn_history_as_audio_and_speech_tokens() -> None:
    history = [
        HistoryTurn("human", audio_path="a.wav"),
        HistoryTurn("assistant", text="Hello!", audio_tokens=(5, 6, 7)),
        HistoryTurn("human", text="typed question"),
        HistoryTurn("assistant", text="typed answer"),
    ]
    messages = build_messages(None, history, HistoryTurn("human", audio_path="b.wav"))
    assert messages[0] == {"role": "system", "content": "You are a helpful assistant."}
    assert messages[2] == {
        "role": "assistant",
        "content": [{"type": "text", "text": "<tts_start>"}, {"type": "token", "token": [5, 6, 7]}],
    }
    assert messages[3] == {"role": "human", "content": "typed question"}
    assert messages[4] == {"role": "assistant", "content": "typed answer"}
    assert messages[5]["content"][0]["audio"] == "b.wav"
    assert messages[-1] == {"role": "assistant", "content": "<tts_start>", "eot": False}


def test_output_tokens_split_into_text_and_speech_codes() -> None:
    ids = [100, 151_687, 151_690, AUDIO_TOKEN_OFFSET, AUDIO_TOKEN_OFFSET + 6560, 42]
    text, audio = split_output_tokens(ids)
    assert text == [100, TEXT_TOKEN_LIMIT - 1, 42]  # 151690 is a control token: neither
    assert audio == [0, 6560]


def test_resampling_keeps_duration_and_pitch() -> None:
    rate_in, rate_out = 24_000, 16_000
    t = np.arange(rate_in) / rate_in
    tone = (0.5 * np.sin(2 * np.pi * 440 * t) * 32767).astype(np.int16)
    out = resample_pcm16(tone, rate_in, rate_out)
    assert out.dtype == np.int16 and abs(out.size - rate_out) <= 2
    spectrum = np.abs(np.fft.rfft(out.astype(np.float32)))
    assert abs(np.argmax(spectrum) * rate_out / out.size - 440) < 3


def test_model_wav_round_trip_to_wire_rate(tmp_path: Path) -> None:
    samples = (np.sin(np.arange(16_000) / 10) * 10_000).astype(np.int16)
    path = tmp_path / "turn.wav"
    write_wav_16k(path, samples)
    with wave.open(str(path)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getnframes()) == (16_000, 1, 16_000)
    # token2wav hands back 24 kHz WAV bytes; a 16 kHz session gets 16 kHz pcm16
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(24_000)
        wav.writeframes(np.zeros(24_000, dtype="<i2").tobytes())
    assert wav_bytes_to_pcm16(buffer.getvalue(), 16_000).size == pytest.approx(16_000, abs=2)
    assert wav_bytes_to_pcm16(buffer.getvalue(), 24_000).size == 24_000


def test_reference_clip_names_the_fix_when_missing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="put a 5-15 s mono WAV"):
        reference_clip("ada", tmp_path)
    (tmp_path / "other.wav").write_bytes(b"RIFF")
    assert reference_clip("ada", tmp_path).name == "other.wav"  # falls back to any clip


def test_engine_says_why_it_is_unusable_here() -> None:
    availability = StepAudio2Engine("stepfun-ai/Step-Audio-2-mini").availability()
    if availability.usable:
        pytest.skip("this machine can run Step-Audio 2 mini")
    assert "pip install .[gpu]" in availability.reason or "CUDA" in availability.reason


@pytest.mark.gpu
def test_gpu_smoke_spoken_reply(tmp_path: Path) -> None:
    """One spoken turn end to end on a GPU (skipped without CUDA and the `gpu` extra)."""
    import asyncio
    import os

    if not gpu_availability().usable:
        pytest.skip(gpu_availability().reason)
    model = os.environ.get("STEPAUDIO_STEP_AUDIO2_MODEL", "stepfun-ai/Step-Audio-2-mini")
    engine = StepAudio2Engine(model)

    async def talk() -> list[str]:
        from model.events import ContentPart, ConversationItem, ConversationItemCreate, ResponseCreate

        session = await engine.open_session(SessionConfig(instructions="Answer in one short sentence."))
        await session.send(ConversationItemCreate(item=ConversationItem(content=[ContentPart(text="Say hello.")])))
        await session.send(ResponseCreate())
        kinds: list[str] = []
        async for event in session.events():
            kinds.append(event.type)
            if event.type == "response.done":
                break
        await session.close()
        return kinds

    kinds = asyncio.run(talk())
    assert "response.audio.delta" in kinds and kinds[-1] == "response.done"


class _StandInTokenizer:
    def decode(self, ids: list[int]) -> str:
        return " ".join(f"w{i}" for i in ids)


class _StandInStepAudio2:
    """Stands in for the third-party `stepaudio2.StepAudio2` (no GPU here): records the chats it gets."""

    def __init__(self) -> None:
        self.llm_tokenizer = _StandInTokenizer()
        self.chats: list[list[dict]] = []

    def __call__(self, messages: list[dict], **_: object) -> tuple[list[int], str, list[int]]:
        self.chats.append(messages)
        ids = [1, 2, AUDIO_TOKEN_OFFSET + 10, AUDIO_TOKEN_OFFSET + 11]
        return ids, "", [10, 11]


def _standin_token2wav(tokens: list[int], prompt_wav: str) -> bytes:
    """Stands in for `token2wav.Token2wav`: half a second of 24 kHz tone per call."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(24_000)
        wav.writeframes((np.sin(np.arange(12_000) / 8) * 8_000).astype("<i2").tobytes())
    return buffer.getvalue()


async def test_session_turns_speech_into_a_spoken_reply_with_history(tmp_path: Path) -> None:
    """Our session logic around the model: VAD turns, chat building with history, events, 16 kHz output."""
    from model.events import InputAudioBufferAppend, SessionConfig, TurnDetection
    from model.step_audio2.engine import StepAudio2Session
    from model.step_audio2.weights import LoadedModels
    from tests.realtime.conftest import audio_chunks, speech_24k

    voices = tmp_path / "voices"
    voices.mkdir()
    write_wav_16k(voices / "jf_alpha.wav", np.zeros(16_000, dtype=np.int16))
    llm = _StandInStepAudio2()
    config = SessionConfig(
        instructions="You are Ada.",
        voice="jf_alpha",
        output_sample_rate=16_000,
        turn_detection=TurnDetection(silence_duration_ms=400),
    )
    session = StepAudio2Session(LoadedModels(llm=llm, token2wav=_standin_token2wav), config, voices_dir=voices)
    speech = speech_24k("Hello there, how are you?", tmp_path)
    kinds: list[str] = []
    audio = b""
    events = session.events()
    for _turn in range(2):
        for chunk in audio_chunks(speech, trailing_silence_ms=800):
            await session.send(InputAudioBufferAppend(audio=chunk))
        async for event in events:
            kinds.append(event.type)
            if event.type == "response.audio.delta":
                audio += event.delta.tobytes()
            if event.type == "response.done":
                assert event.response.status == "completed"
                break
    await session.close()
    assert kinds[:3] == ["session.created", "input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped"]
    assert kinds.count("response.done") == 2
    assert len(audio) == 2 * 2 * 8_000  # two replies of 0.5 s, resampled to the asked 16 kHz
    first, second = llm.chats
    assert first[0] == {"role": "system", "content": "You are Ada."} and len(first) == 3
    # the second turn carries the first exchange: the user's audio file and the reply's speech tokens
    assert second[1]["content"][0]["type"] == "audio"
    assert second[2]["content"][1] == {"type": "token", "token": [10, 11]}
    assert len(second) == 5
