"""Barge-in, response.cancel and buffer clearing, with reply audio paced at real time as a client hears it."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from model.embedded.shared import SharedModels
from model.embedded.speak.kokoro import SynthesisInterrupted
from model.events import SessionConfig, TurnDetection

from .conftest import TEST_INSTRUCTIONS
from .test_spoken_turns import typed

pytestmark = pytest.mark.models

STORY = SessionConfig(
    instructions="You are a storyteller. Tell long, detailed stories.", language="en", max_sentences=8
)


async def test_speech_during_a_reply_cancels_it_and_keeps_only_what_was_heard(paced_engine, open_client, utterances):
    client = await open_client(paced_engine, STORY)
    await client.session.send(typed("Tell me a long story about a brave little dragon and a lost king."))
    first_audio = await client.wait_type("response.audio.delta")
    reply_id = first_audio.response_id

    # The user starts talking over the reply, in real time like a microphone.
    mark = len(client.events)
    await client.speak(utterances["en_name"].audio, real_time=True, trailing_silence_s=0.8)
    cancelled = await client.wait_for(lambda e: e.type == "response.done" and e.response.id == reply_id)
    assert cancelled.response.status == "cancelled"
    started = client.of_type("input_audio_buffer.speech_started", after=mark)[0]
    assert client.events.index(started) < client.events.index(cancelled)

    # No more audio of the cancelled reply after its response.done.
    after_done = client.events[client.events.index(cancelled) + 1 :]
    assert not [e for e in after_done if e.type == "response.audio.delta" and e.response_id == reply_id]

    # History keeps the phrases the user heard (a prefix of what was sent), not the whole reply.
    kept = cancelled.response.output[0].content[0].transcript
    sent = "".join(
        e.delta for e in client.events if e.type == "response.audio_transcript.delta" and e.response_id == reply_id
    )
    assert kept and sent.replace(" ", "").startswith(kept.replace(" ", ""))
    assert client.session.history[1].role == "assistant" and client.session.history[1].content == kept

    # The interrupting question is answered next.
    answer = await client.wait_for(lambda e: e.type == "response.done" and e.response.id != reply_id)
    assert answer.response.status == "completed"
    assert "name" in client.of_type("conversation.item.input_audio_transcription.completed")[-1].transcript.lower()
    assert [m.role for m in client.session.history] == ["user", "assistant", "user", "assistant"]


async def test_response_cancel_stops_the_reply(paced_engine, open_client):
    client = await open_client(paced_engine, STORY)
    await client.session.send(typed("Tell me a long story about the sea."))
    first_audio = await client.wait_type("response.audio.delta")
    await client.session.send({"type": "response.cancel"})
    done = await client.wait_type("response.done")
    assert done.response.id == first_audio.response_id and done.response.status == "cancelled"
    assert client.session.idle
    await asyncio.sleep(0.3)
    assert client.events[-1].type == "response.done", "nothing may follow the cancelled reply"


async def test_no_barge_in_when_the_persona_may_not_be_interrupted(paced_engine, open_client, utterances):
    config = STORY.model_copy(update={"turn_detection": TurnDetection(interrupt_response=False), "max_sentences": 2})
    client = await open_client(paced_engine, config)
    await client.session.send(typed("Tell me a short story about a cat."))
    first_audio = await client.wait_type("response.audio.delta")
    await client.speak(utterances["en_name"].audio, real_time=True, trailing_silence_s=0.8)
    done = await client.wait_for(lambda e: e.type == "response.done" and e.response.id == first_audio.response_id)
    assert done.response.status == "completed"


async def test_clear_drops_buffered_speech(engine, open_client, utterances):
    client = await open_client(engine, SessionConfig(instructions=TEST_INSTRUCTIONS, language="en"))
    speech = utterances["en_capital"].audio
    await client.speak(speech[: speech.size // 2], trailing_silence_s=0.0)
    await client.wait_type("input_audio_buffer.speech_started", timeout=10)
    await client.session.send({"type": "input_audio_buffer.clear"})
    await client.speak(speech[:0], trailing_silence_s=1.5)  # silence only: no turn may end now
    await asyncio.sleep(0.5)
    assert not client.of_type("input_audio_buffer.speech_stopped")
    assert not client.of_type("response.created")


def test_a_barge_in_stops_a_synthesis_midway(embedded_models):
    """Unheard audio must not keep the CPU busy: the next turn's ASR and LLM need it."""
    shared = SharedModels(embedded_models, llm_writes_chinese=False)
    long_text = " ".join(["The sea was calm and the boats rocked gently in the harbour at dawn."] * 6)
    outcome: list[object] = []

    def speak() -> None:
        try:
            outcome.append(shared.synthesize(long_text, voice="jf_alpha", speed=1.0, language="en", owner="resp_1"))
        except SynthesisInterrupted as stopped:
            outcome.append(stopped)

    worker = threading.Thread(target=speak)
    worker.start()
    time.sleep(0.5)  # phonemised and running by now
    shared.interrupt_synthesis("someone_else")  # another response's cancel leaves it alone...
    shared.interrupt_synthesis("resp_1")  # ...its own stops it
    worker.join(timeout=60)
    assert len(outcome) == 1 and isinstance(outcome[0], SynthesisInterrupted), outcome

    skipped = threading.Event()
    skipped.set()
    with pytest.raises(SynthesisInterrupted):
        shared.synthesize("Hello.", voice="jf_alpha", speed=1.0, language="en", owner="r2", cancelled=skipped)
    assert shared.synthesize("Hello.", voice="jf_alpha", speed=1.0, language="en").audio.size > 0
