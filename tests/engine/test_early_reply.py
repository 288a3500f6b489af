"""A reply started at the speaker's pause: adopted when the turn ends there, dropped without a trace
when the speaker goes on (real models, speech streamed at real time as a microphone sends it)."""

from __future__ import annotations

import asyncio
import logging
import time

import numpy as np
import pytest

from model.events import SessionConfig, TurnDetection

from .conftest import EVENT_TIMEOUT_S, TEST_INSTRUCTIONS

pytestmark = pytest.mark.models

RESPONSE_EVENTS = ("response.created", "response.audio.delta", "response.audio_transcript.delta", "response.done")


async def _wait_for_log(caplog: pytest.LogCaptureFixture, text: str, timeout_s: float = EVENT_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while text not in caplog.text:
        assert time.monotonic() < deadline, f"no log line with {text!r} within {timeout_s} s"
        await asyncio.sleep(0.02)


def _config(silence_ms: int) -> SessionConfig:
    return SessionConfig(
        instructions=TEST_INSTRUCTIONS, language="en", turn_detection=TurnDetection(silence_duration_ms=silence_ms)
    )


async def test_a_reply_started_at_the_pause_answers_the_turn(engine, open_client, utterances, caplog):
    caplog.set_level(logging.DEBUG, logger="model.embedded")
    # A long silence wait: the turn is decided >= 600 ms into the silence (counted in audio, not wall time).
    # Send the question and 300 ms of its silence (past the ~100 ms pause), then hold the rest of the
    # silence back until the reply started there has asked the chat model and made its first audio: on a
    # busy machine that may take longer than any fixed amount of audio, and the test is about what happens
    # once it is there. The decision can then only come after it.
    client = await open_client(engine, _config(2400))
    await client.speak(utterances["en_capital"].audio, trailing_silence_s=0.3, real_time=True)
    await _wait_for_log(caplog, "started early")
    await _wait_for_log(caplog, "s of speech made in")
    await client.speak(np.zeros(0, dtype=np.float32), trailing_silence_s=1.7, real_time=True, lead_s=0.0)
    done = await client.wait_type("response.done")

    assert done.response.status == "completed"
    timings = done.response.timings
    assert timings.reply_started_ms is not None and timings.turn_decided_ms is not None
    assert timings.speech_end_ms < timings.reply_started_ms < timings.turn_decided_ms, timings
    # Held until the decision: nothing of the reply went out before the turn was over.
    assert timings.first_audio_ms >= timings.turn_decided_ms
    kinds = [event.type for event in client.events]
    assert kinds.index("conversation.item.input_audio_transcription.completed") < kinds.index("response.created")
    assert kinds.count("response.created") == 1
    assert client.reply_audio(done.response.id).size > 24_000 * 0.3
    history = client.session.history
    assert [m.role for m in history] == ["user", "assistant"] and "capital" in history[0].content.lower()
    assert history[1].content == done.response.output[0].content[0].transcript
    assert "started early" in caplog.text


async def test_a_reply_started_at_a_pause_is_dropped_when_the_speaker_goes_on(engine, open_client, utterances, caplog):
    caplog.set_level(logging.DEBUG, logger="model.embedded")
    client = await open_client(engine, _config(3000))  # decided >= 750 ms into a silence; the pause is 600 ms
    await client.speak(utterances["en_name"].audio, trailing_silence_s=0.3, real_time=True)
    await client.speak(utterances["en_weather"].audio, trailing_silence_s=2.6, real_time=True)
    done = await client.wait_type("response.done")

    assert "dropped" in caplog.text, "the pause should have started a reply that was then dropped"
    heard = client.of_type("conversation.item.input_audio_transcription.completed")
    assert len(heard) == 1 and "name" in heard[0].transcript.lower() and "rain" in heard[0].transcript.lower()
    # The dropped reply left no trace: one response in the events, and it answers the whole turn.
    response_ids = {event.response_id for event in client.events if hasattr(event, "response_id")}
    assert response_ids == {done.response.id}
    assert [event.type for event in client.events].count("response.created") == 1
    assert done.response.status == "completed"
    assert [m.role for m in client.session.history] == ["user", "assistant"]
