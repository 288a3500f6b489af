"""Whole turns through the embedded engine with the real models: speech or text in, speech out."""

from __future__ import annotations

import asyncio
import logging
import re

import numpy as np
import pytest

from model.audio import resample
from model.embedded.speak.phrases import detect_language
from model.events import (
    ContentPart,
    ConversationItem,
    ConversationItemCreate,
    InputAudioBufferCommit,
    SessionConfig,
)
from stepaudio_ui.bench.utterances import trim_silence
from tests.turn_support import AUDIO_TURN_ORDER, first_positions

from .conftest import TEST_INSTRUCTIONS

pytestmark = pytest.mark.models


def typed(text: str) -> ConversationItemCreate:
    return ConversationItemCreate(
        item=ConversationItem(role="user", content=[ContentPart(type="input_text", text=text)])
    )


async def test_spoken_english_question_gets_a_spoken_english_reply(engine, open_client, utterances, embedded_models):
    client = await open_client(engine)
    await client.speak(utterances["en_capital"].audio)
    done = await client.wait_type("response.done")

    kinds = [e.type for e in client.events]
    positions = first_positions(kinds, AUDIO_TURN_ORDER)
    assert positions == sorted(positions), kinds[:12]
    heard = client.of_type("conversation.item.input_audio_transcription.completed")[0]
    assert "capital" in heard.transcript.lower() and "france" in heard.transcript.lower()
    assert done.response.status == "completed"

    reply = client.reply_audio(done.response.id)
    assert reply.size > 24_000 * 0.5, "expected at least half a second of reply audio"
    # The reply audio, heard by our own ASR, is the reply's English words. (Not Whisper's language guess:
    # on a 1.7 s reply it once heard Chinese in clear English speech.)
    echo = embedded_models.asr.transcribe(resample(reply, 24_000, 16_000), "en")
    said = set(re.findall(r"[a-z]{3,}", done.response.output[0].content[0].transcript.lower()))
    assert said & set(re.findall(r"[a-z]{3,}", echo.text.lower())), (echo, said)

    timings = done.response.timings
    stages = [timings.speech_end_ms, timings.turn_decided_ms, timings.asr_done_ms, timings.llm_first_token_ms]
    assert all(stage is not None for stage in stages) and stages == sorted(stages), timings
    assert timings.first_audio_ms >= timings.llm_first_token_ms
    assert timings.llm_tokens > 0 and timings.tts_rtf > 0

    # The turn is remembered: the user's words and exactly the reply that was spoken.
    history = client.session.history
    assert [m.role for m in history] == ["user", "assistant"]
    assert history[1].content == done.response.output[0].content[0].transcript


async def test_spoken_chinese_question_is_heard_as_chinese_and_answered(
    engine, open_client, utterances, embedded_models, caplog
):
    """The default brain (Qwen2.5-Coder 0.5B) answers a Chinese question in Chinese, and the reply is spoken
    in Mandarin: our own ASR hears Chinese in the reply audio. Greedy: sampled, its most likely answer (Chinese)
    lost to "I like apple and banana." in one of many runs, which says nothing about the brain's language."""
    config = SessionConfig(instructions=TEST_INSTRUCTIONS, language="auto", temperature=0.0)
    client = await open_client(engine, config)
    await client.speak(utterances["zh_food"].audio)
    done = await client.wait_type("response.done")

    heard = client.of_type("conversation.item.input_audio_transcription.completed")[0]
    assert heard.language == "zh"
    assert re.search(r"[\u4e00-\u9fff]{4,}", heard.transcript), heard.transcript
    assert "水果" in heard.transcript
    assert done.response.status == "completed"
    reply_text = done.response.output[0].content[0].transcript
    assert detect_language(reply_text) == "zh", reply_text
    reply = client.reply_audio(done.response.id)
    echo = embedded_models.asr.transcribe(resample(reply, 24_000, 16_000), "zh")
    assert re.search(r"[\u4e00-\u9fff]{2,}", echo.text), f"the reply should be heard as Mandarin: {echo.text!r}"


async def test_smollm2_keeps_answering_a_chinese_turn_in_english(engine, open_client, caplog):
    """SmolLM2 writes no Chinese: chosen as the brain, a Chinese turn is framed in English for it and the
    reply is English, with a warning (the workaround applies to SmolLM2 only)."""
    config = SessionConfig(instructions=TEST_INSTRUCTIONS, language="auto", brain="smollm2-135m")
    client = await open_client(engine, config)
    assert client.session.config.brain == "smollm2-135m"
    with caplog.at_level(logging.WARNING, logger="model.embedded.reply.plan"):
        await client.session.send(typed("你喜欢吃什么水果？"))
        done = await client.wait_type("response.done")
    reply_text = done.response.output[0].content[0].transcript
    assert reply_text and detect_language(reply_text) == "en", reply_text
    assert "cannot write Chinese" in caplog.text


async def test_typed_text_gets_a_spoken_reply(engine, open_client):
    client = await open_client(engine)
    await client.session.send(typed("Hello! What is your name?"))
    done = await client.wait_type("response.done")
    created = client.of_type("conversation.item.created")[0]
    assert created.item.content[0].text == "Hello! What is your name?"
    assert done.response.status == "completed"
    assert client.reply_audio(done.response.id).size > 12_000
    deltas = "".join(e.delta for e in client.of_type("response.audio_transcript.delta"))
    assert deltas == done.response.output[0].content[0].transcript, (
        "the deltas add up to the transcript, spaces included"
    )
    assert [m.role for m in client.session.history] == ["user", "assistant"]


async def test_item_create_then_response_create_answers_once(engine, open_client):
    """Standard realtime clients send both; the reply already in flight answers the request."""
    client = await open_client(engine)
    await client.session.send(typed("Say hello."))
    await client.session.send({"type": "response.create"})
    await client.wait_type("response.done")
    await asyncio.sleep(0.5)
    assert len(client.of_type("response.created")) == 1


async def test_greeting_is_spoken_first_and_remembered(engine, open_client):
    # Long enough to be spoken in phrases, one of them cut before "with" with no punctuation there.
    greeting = "Hello there, I am Ada and I can help you with your order today because that is my whole job here."
    client = await open_client(engine, SessionConfig(instructions=TEST_INSTRUCTIONS, language="en", greeting=greeting))
    done = await client.wait_type("response.done")
    assert client.events[0].type == "session.created"
    assert done.response.output[0].content[0].transcript == greeting
    deltas = [e.delta for e in client.of_type("response.audio_transcript.delta")]
    assert len(deltas) >= 3 and "".join(deltas) == greeting, (
        "the live transcript must read 'help you with', not 'youwith'"
    )
    assert client.reply_audio(done.response.id).size > 24_000
    assert [(m.role, m.content) for m in client.session.history] == [("assistant", greeting)]


async def test_two_sessions_at_once_both_reply(engine, open_client, utterances):
    first = await open_client(engine)
    second = await open_client(engine)
    await asyncio.gather(first.speak(utterances["en_sleep"].audio), second.speak(utterances["en_weather"].audio))
    done_first, done_second = await asyncio.gather(first.wait_type("response.done"), second.wait_type("response.done"))
    assert done_first.response.status == done_second.response.status == "completed"
    heard_first = first.of_type("conversation.item.input_audio_transcription.completed")[0].transcript.lower()
    heard_second = second.of_type("conversation.item.input_audio_transcription.completed")[0].transcript.lower()
    assert "sleep" in heard_first and "rain" in heard_second  # no crosstalk between the sessions
    assert first.reply_audio(done_first.response.id).size > 0 and second.reply_audio(done_second.response.id).size > 0


async def test_a_pause_inside_a_turn_does_not_cut_its_transcript(engine, open_client, utterances):
    """The session starts transcribing at every short pause; when the speaker goes on, that early
    transcript is stale and must be dropped. Committed right after the second half (no pause after it),
    a stale transcript would be all there is to use."""
    client = await open_client(
        engine,
        SessionConfig(instructions=TEST_INSTRUCTIONS, language="en", turn_detection={"silence_duration_ms": 2_500}),
    )
    pause = np.zeros(int(0.45 * 24_000), dtype=np.float32)  # > the 96 ms pause, < the 625 ms semantic check
    halves = [trim_silence(utterances["en_capital"].audio), pause, trim_silence(utterances["en_name"].audio)]
    await client.speak(np.concatenate(halves), trailing_silence_s=0.0, real_time=True)
    await client.session.send(InputAudioBufferCommit())
    heard = await client.wait_type("conversation.item.input_audio_transcription.completed")
    words = heard.transcript.lower()
    assert "france" in words and "name" in words, heard.transcript


async def test_a_turn_ending_at_a_pause_uses_the_transcript_started_there(engine, open_client, utterances, caplog):
    client = await open_client(engine)
    with caplog.at_level(logging.DEBUG, logger="model.embedded.listen.early_asr"):
        await client.speak(utterances["en_capital"].audio, real_time=True)
        heard = await client.wait_type("conversation.item.input_audio_transcription.completed")
    assert "france" in heard.transcript.lower(), heard.transcript
    assert "transcript started at the pause reused" in caplog.text


async def test_the_last_allowed_sentence_is_spoken_too(engine, open_client):
    """Reaching the sentence limit stops the chat model, not the speaking of what it already wrote."""
    client = await open_client(
        engine, SessionConfig(instructions=TEST_INSTRUCTIONS, language="en", max_sentences=1, temperature=0.0)
    )
    await client.session.send(typed("Describe the sea in one sentence."))
    done = await client.wait_type("response.done")
    spoken = done.response.output[0].content[0].transcript or ""
    assert done.response.status == "completed" and re.search(r"[.!?]$", spoken.strip()), spoken
    assert client.reply_audio(done.response.id).size > 24_000 * 0.5


async def test_a_reply_cut_by_its_token_limit_does_not_trail_off_mid_sentence(engine, open_client, caplog):
    """The words written before the limit are spoken up to the last finished phrase, never a dangling half."""
    caplog.set_level(logging.INFO, logger="model.embedded.spoken_response")
    config = SessionConfig(
        instructions=TEST_INSTRUCTIONS, language="en", max_sentences=3, temperature=0.0, max_response_output_tokens=14
    )
    client = await open_client(engine, config)
    await client.session.send(typed("Describe the sea, its colours and its sounds, in detail."))
    done = await client.wait_type("response.done")
    spoken = (done.response.output[0].content[0].transcript or "").strip()
    assert done.response.status == "completed" and spoken, spoken
    withheld = [r.args[1] for r in caplog.records if "token limit hit mid-sentence" in r.getMessage()]
    assert withheld, spoken
    # The unfinished end after the last whole phrase is not spoken (phrases already handed to the voice
    # before the limit came are: a phrase ends at punctuation or before a clause word).
    assert withheld[0].strip() and not spoken.endswith(withheld[0].strip()), (spoken, withheld)
