"""`session.update` changes the session from the next turn on: rates, turn detection, reply length, voice."""

from __future__ import annotations

import asyncio
import re

import numpy as np
import pytest

from model.audio import resample
from model.events import SessionConfig, SessionUpdate, TurnDetection

from .conftest import TEST_INSTRUCTIONS
from .test_spoken_turns import typed

pytestmark = pytest.mark.models


async def test_update_rates_and_silence_wait_take_effect(paced_engine, open_client, utterances):
    client = await open_client(paced_engine)  # paced: 100 ms deltas (unpaced, a delta is a whole phrase)
    update = SessionConfig(
        input_sample_rate=16_000,
        output_sample_rate=16_000,
        turn_detection=TurnDetection(silence_duration_ms=2_500),
    )
    await client.session.send(SessionUpdate(session=update))
    updated = await client.wait_type("session.updated", timeout=10)
    assert updated.session.input_sample_rate == 16_000 and updated.session.turn_detection.silence_duration_ms == 2_500
    assert updated.session.instructions == TEST_INSTRUCTIONS  # fields not in the update are kept

    speech_16k = resample(utterances["en_capital"].audio, 24_000, 16_000)
    # 0.5 s of silence: with a 2.5 s wait the turn must not have ended yet (the semantic check comes at 625 ms).
    await client.speak(speech_16k, rate=16_000, trailing_silence_s=0.5)
    await asyncio.sleep(0.3)
    assert client.of_type("input_audio_buffer.speech_started")
    assert not client.of_type("input_audio_buffer.speech_stopped")
    await client.speak(speech_16k[:0], rate=16_000, trailing_silence_s=2.2)
    await client.wait_type("input_audio_buffer.speech_stopped", timeout=10)
    heard = await client.wait_type("conversation.item.input_audio_transcription.completed")
    assert "france" in heard.transcript.lower()  # 16 kHz input was understood as 16 kHz

    done = await client.wait_type("response.done")
    first_delta = next(e for e in client.events if e.type == "response.audio.delta")
    samples = first_delta.delta.size
    assert samples == 1_600, "100 ms deltas at the new 16 kHz output rate"
    assert done.response.status == "completed"


async def test_update_reply_length_and_voice_apply_to_the_next_reply(engine, open_client):
    client = await open_client(engine)
    await client.session.send(SessionUpdate(session=SessionConfig(max_sentences=1, voice="jm_kumo", speed=1.2)))
    await client.wait_type("session.updated", timeout=10)
    assert client.session.config.voice == "jm_kumo"
    await client.session.send(typed("Tell me three things about the moon."))
    done = await client.wait_type("response.done")
    text = done.response.output[0].content[0].transcript
    assert len(re.findall(r"[.!?…]+", text.strip())) <= 1, text
    audio = client.reply_audio(done.response.id)
    assert np.abs(audio).max() > 0.01
