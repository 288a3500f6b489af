"""Short phrases spoken before come back from the phrase cache; making openers ahead of time gives way to turns."""

from __future__ import annotations

import threading
import time

import numpy as np

from model.embedded.models import EmbeddedModels
from model.embedded.reply.llm import ChatMessage, GenerationOptions
from model.embedded.shared import SharedModels
from model.embedded.speak.phrase_cache import OPENERS, PhraseAudioCache, is_short_phrase
from model.events import SessionConfig

VOICE = "jf_alpha"


def test_short_or_recurring_phrases_are_kept_within_the_byte_budget():
    audio = np.ones(100, dtype=np.float32)
    cache = PhraseAudioCache(max_bytes=2 * audio.nbytes)
    one, two, three = (cache.key(t, voice=VOICE, speed=1.0, language="en") for t in ("Sure!", "Hello!", "Okay,"))
    long_key = cache.key("This sentence is far too long to keep.", voice=VOICE, speed=1.0, language="en")
    cache.put(long_key, audio)
    assert long_key not in cache  # a reply's long sentence rarely comes back
    cache.put(long_key, audio, recurring=True)
    assert long_key in cache  # a greeting does
    cache.put(one, audio)
    cache.put(two, audio)
    assert cache.get(one) is not None  # now the most recently used
    cache.put(three, audio)
    assert two not in cache and long_key not in cache and one in cache and three in cache
    assert cache.size_bytes == 2 * audio.nbytes
    cache.put(cache.key("Hi!", voice=VOICE, speed=1.0, language="en"), np.ones(1000, dtype=np.float32))
    assert cache.size_bytes == 2 * audio.nbytes  # bigger than the whole budget: not kept
    stored = cache.get(one)
    assert stored is not None and not stored.flags.writeable  # shared between sessions: read-only
    audio[:] = 0
    assert stored[0] == 1.0  # a copy: the caller changing its array does not change the cache
    other_voice = cache.key("Sure!", voice="af_heart", speed=1.0, language="en")
    slower = cache.key("Sure!", voice=VOICE, speed=0.9, language="en")
    assert other_voice not in cache and slower not in cache
    assert is_short_phrase("好的！") and not is_short_phrase("今天天气很好我们去公园散步吧")


def test_a_short_phrase_is_made_once_and_then_comes_from_the_cache(embedded_models: EmbeddedModels):
    shared = SharedModels(embedded_models, llm_writes_chinese=False)
    first = shared.synthesize("Of course!", voice=VOICE, speed=1.0, language="en")
    again = shared.synthesize("Of course!", voice=VOICE, speed=1.0, language="en")
    assert not first.cached and first.audio.size > 0
    assert again.cached and np.array_equal(again.audio, first.audio)
    other_speed = shared.synthesize("Of course!", voice=VOICE, speed=1.2, language="en")
    assert not other_speed.cached and other_speed.audio.size < first.audio.size  # faster speech is shorter
    longer = "The harbour was calm at dawn."
    shared.synthesize(longer, voice=VOICE, speed=1.0, language="en")
    assert not shared.synthesize(longer, voice=VOICE, speed=1.0, language="en").cached


def test_openers_made_ahead_of_time_give_way_to_a_turn(embedded_models: EmbeddedModels):
    shared = SharedModels(embedded_models, llm_writes_chinese=False)
    made: list[int] = []
    worker = threading.Thread(
        target=lambda: made.append(shared.prewarm_openers(voice=VOICE, speed=1.0, languages=["en"]))
    )
    worker.start()
    time.sleep(0.3)
    reply = shared.synthesize("Here is what I think about it.", voice=VOICE, speed=1.0, language="en")
    worker.join(timeout=60)
    assert reply.audio.size > 0
    assert made and made[0] < len(OPENERS["en"]), "the openers should have stopped for the reply's synthesis"
    rest = shared.prewarm_openers(voice=VOICE, speed=1.0, languages=["en"])  # nothing else running now
    assert made[0] + rest == len(OPENERS["en"])
    assert all(shared.synthesize(text, voice=VOICE, speed=1.0, language="en").cached for text in OPENERS["en"])


def test_openers_made_ahead_of_time_give_way_to_the_chat_model_too(embedded_models: EmbeddedModels):
    """A typed turn has no ASR to stop them: the reply's writing must, and must let them go on afterwards."""
    shared = SharedModels(embedded_models, llm_writes_chinese=False)
    assert shared.llm_shares_cpu  # the packaged llama.cpp model decodes on this CPU
    made: list[int] = []
    worker = threading.Thread(
        target=lambda: made.append(shared.prewarm_openers(voice=VOICE, speed=1.0, languages=["en"]))
    )
    messages = [ChatMessage("system", "You are Ada. Answer briefly."), ChatMessage("user", "Tell me about the sea.")]
    worker.start()
    time.sleep(0.3)
    stream = shared.stream_chat(messages, GenerationOptions(max_tokens=48), threading.Event())
    first_piece = next(stream)  # the reply is being written: the opener being made stops
    worker.join(timeout=60)
    assert first_piece and made and made[0] < len(OPENERS["en"]), "the openers should have stopped for the reply"
    stream.close()  # the reader stops early (a pause or a cut): the chat model no longer counts as busy
    assert shared.prewarm_openers(voice=VOICE, speed=1.0, languages=["en"]) == len(OPENERS["en"]) - made[0]


async def test_a_greeting_spoken_before_starts_from_the_cache(engine, open_client):
    greeting = "Welcome back to the studio. I am Ada, and I will keep this short."
    config = SessionConfig(instructions="You are Ada.", language="en", greeting=greeting, voice=VOICE)
    first = await open_client(engine, config)
    done = await first.wait_type("response.done")
    assert done.response.timings.first_phrase_cached is False  # nothing made yet in this engine
    await first.close()
    second = await open_client(engine, config)
    done = await second.wait_type("response.done")
    assert done.response.timings.first_phrase_cached is True
    assert second.of_type("response.audio.delta"), "the cached greeting must still be sent as audio"
    assert done.response.output[0].content[0].transcript == greeting


def test_a_greeting_asked_for_by_many_sessions_at_once_is_made_once(embedded_models: EmbeddedModels):
    """Sessions opening together (many realtime clients connecting at once) all want the same greeting:
    the ones that waited for the voice while it was being made get it from the cache."""
    shared = SharedModels(embedded_models, llm_writes_chinese=False)
    greeting = "Welcome back to the museum of old clocks, my friend."
    start = threading.Barrier(4)
    results: list[bool] = []

    def open_session() -> None:
        start.wait()
        results.append(shared.synthesize(greeting, voice=VOICE, speed=1.0, language="en", recurring=True).cached)

    sessions = [threading.Thread(target=open_session) for _ in range(4)]
    for session in sessions:
        session.start()
    for session in sessions:
        session.join(timeout=120)
    assert sorted(results) == [False, True, True, True]  # one synthesis; the other three from the cache
