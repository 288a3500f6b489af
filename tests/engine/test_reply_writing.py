"""The writing stage on the real chat model: on a shared CPU it stops while enough text waits for the voice."""

from __future__ import annotations

import asyncio
import time

from model.embedded.models import EmbeddedModels
from model.embedded.reply.llm import ChatMessage, GenerationOptions
from model.embedded.reply.plan import ReplyPlan
from model.embedded.reply.write import PAUSE_AT_UNITS_WAITING, ReplyStats
from model.embedded.shared import SharedModels
from model.embedded.speak.phrase_text import join_phrases
from model.embedded.speak.phrases import speech_units
from tests.engine.conftest import start_writer

# Greedy decoding: the same long reply every run, so the test does not hang on the model's mood.
LONG_REPLY = GenerationOptions(max_tokens=160, temperature=0.0)
MESSAGES = [
    ChatMessage("system", "You are Ada, a storyteller. You tell long, detailed stories."),
    ChatMessage("user", "Tell me a long story about a lighthouse keeper, his dog and a storm at sea."),
]
SETTLE_S = 1.5  # the chat model writes ~60 tokens a second here: a reply not held back is long over by then


async def _wait_until(condition: object, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        await asyncio.sleep(0.02)
    return False


async def test_the_chat_model_stops_while_enough_text_waits_for_the_voice(embedded_models: EmbeddedModels):
    shared = SharedModels(embedded_models, llm_writes_chinese=False)
    assert shared.llm_shares_cpu
    plan = ReplyPlan(MESSAGES[0].content, "en", LONG_REPLY, max_sentences=12, voice="jf_alpha", speed=1.0)
    stats = ReplyStats()
    thread, phrases = await start_writer("resp_writing", shared, plan, MESSAGES, stats)

    # Acting as a voice that has started nothing: the writing stops once enough text waits for it...
    assert await _wait_until(lambda: stats.units_waiting >= PAUSE_AT_UNITS_WAITING, 30), "the reply was too short"
    held_at = stats.units_handed
    await asyncio.sleep(SETTLE_S)
    assert thread.is_alive(), "the chat model finished the reply instead of waiting for the voice"
    assert stats.units_handed == held_at

    # ... and goes on once the voice has taken most of it, to the end of the reply.
    stats.units_started = stats.units_handed - 2
    assert await _wait_until(lambda: stats.units_handed > held_at, 30), "the chat model did not go on"
    while thread.is_alive():
        stats.units_started = stats.units_handed  # a voice keeping up
        await asyncio.sleep(0.05)
    texts: list[str] = []
    while (text := phrases.get_nowait()) is not None:
        texts.append(text)
    reply = join_phrases(texts)
    assert speech_units(reply) == stats.units_handed
    assert stats.paused_s >= SETTLE_S  # not counted as decoding time in the reply's tokens per second
    # The pause left no seam: the model went on from where it stopped, without starting over.
    assert reply.count(texts[0]) == 1, reply
