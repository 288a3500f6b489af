"""The official `openai` SDK's realtime client holds a spoken conversation with the embedded engine
through our /v1/realtime endpoint: a real uvicorn socket, real models, real speech."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from openai import AsyncOpenAI

from model.events import encode_pcm16
from tests.realtime.conftest import PERSONA_SLUG, RunningServer, audio_chunks, speech_24k

pytestmark = pytest.mark.models

TIMEOUT_S = 90.0


async def _until(connection: Any, wanted: str, seen: list[Any]) -> Any:
    """Receive events (recording them in `seen`) until one of type `wanted` arrives."""

    async def loop() -> Any:
        while True:
            event = await connection.recv()
            seen.append(event)
            if event.type == "error":
                raise AssertionError(f"server error: {event.error.message}")
            if event.type == wanted:
                return event

    return await asyncio.wait_for(loop(), TIMEOUT_S)


async def _say(connection: Any, chunks: list[str]) -> None:
    for chunk in chunks:
        await connection.input_audio_buffer.append(audio=chunk)


async def test_spoken_conversation_and_interruption(realtime_server: RunningServer, tmp_path: Path) -> None:
    client = AsyncOpenAI(api_key="unused-on-loopback", websocket_base_url=realtime_server.ws_base)
    question = speech_24k("What is the oldest clock in the museum?", tmp_path)
    async with client.beta.realtime.connect(model=PERSONA_SLUG) as connection:
        seen: list[Any] = []
        created = await _until(connection, "session.created", seen)
        assert "Ada" in created.session.instructions  # the persona's composed instructions

        await connection.session.update(
            session={
                "input_audio_transcription": {"model": "whisper-1"},
                "turn_detection": {"type": "server_vad", "silence_duration_ms": 400},
            }
        )
        updated = await _until(connection, "session.updated", seen)
        assert updated.session.turn_detection.silence_duration_ms == 400

        # --- one spoken turn: speech, then silence so the server's VAD ends the turn
        await _say(connection, audio_chunks(question, trailing_silence_ms=1200))
        done = await _until(connection, "response.done", seen)
        kinds = [e.type for e in seen]
        for expected in (
            "input_audio_buffer.speech_started",
            "input_audio_buffer.speech_stopped",
            "conversation.item.input_audio_transcription.completed",
            "response.created",
            "response.audio_transcript.delta",
            "response.audio.delta",
        ):
            assert expected in kinds, f"{expected} missing from {kinds}"
        assert kinds.index("input_audio_buffer.speech_started") < kinds.index("input_audio_buffer.speech_stopped")
        transcript = next(e for e in seen if e.type == "conversation.item.input_audio_transcription.completed")
        assert any(word in transcript.transcript.lower() for word in ("clock", "museum", "oldest"))
        audio_bytes = sum(len(base64.b64decode(e.delta)) for e in seen if e.type == "response.audio.delta")
        assert audio_bytes > 24_000 * 2 * 0.3, "less than 0.3 s of reply audio"
        reply_text = "".join(e.delta for e in seen if e.type == "response.audio_transcript.delta")
        assert reply_text.strip()
        assert done.response.status == "completed"

        # --- interruption: speak again while the second reply is playing
        seen.clear()
        await _say(connection, audio_chunks(question, trailing_silence_ms=1200))
        await _until(connection, "response.audio.delta", seen)
        await _say(connection, audio_chunks(speech_24k("Wait, stop please.", tmp_path)))
        cancelled = await _until(connection, "response.done", seen)
        kinds = [e.type for e in seen]
        assert kinds.count("input_audio_buffer.speech_started") >= 2
        assert cancelled.response.status == "cancelled"


async def test_ga_client_speaking_16k_gets_ga_event_names(fast_server: RunningServer, tmp_path: Path) -> None:
    """The SDK's GA client (`client.realtime`): nested session config asking for 16 kHz audio both ways,
    spoken input at 16 kHz, `response.output_audio.*` events out."""
    from model.audio import float_to_int16, int16_to_float, resample

    speech_16k = float_to_int16(resample(int16_to_float(speech_24k("Good morning, Ada.", tmp_path)), 24_000, 16_000))
    pcm16k = {"type": "audio/pcm", "rate": 16_000}
    client = AsyncOpenAI(api_key="unused-on-loopback", websocket_base_url=fast_server.ws_base)
    async with client.realtime.connect(model="embedded") as connection:
        seen: list[Any] = []
        await _until(connection, "session.created", seen)
        await connection.session.update(
            session={
                "type": "realtime",
                "instructions": "Answer in five words.",
                "audio": {
                    "input": {"format": pcm16k, "transcription": {"model": "whisper-1"}},
                    "output": {"format": pcm16k, "speed": 1.2},
                },
            }
        )
        updated = await _until(connection, "session.updated", seen)
        assert updated.session.audio.output.speed == 1.2 and updated.session.audio.input.format.rate == 16_000
        step = 16_000 // 10
        silence = np.zeros(16_000, dtype=np.int16)
        audio = np.concatenate([speech_16k, silence])
        for start in range(0, audio.size, step):
            await connection.input_audio_buffer.append(audio=encode_pcm16(audio[start : start + step]))
        done = await _until(connection, "response.done", seen)
        kinds = {e.type for e in seen}
        assert {"response.output_audio.delta", "response.output_audio_transcript.delta"} <= kinds
        assert "response.audio.delta" not in kinds
        heard = next(e for e in seen if e.type == "conversation.item.input_audio_transcription.completed")
        assert "morning" in heard.transcript.lower()  # 16 kHz input understood as 16 kHz
        assert done.response.status == "completed"
