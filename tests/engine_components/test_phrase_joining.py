"""Joining queued phrases into one synthesis call: only while the audio ahead leaves time to make it."""

from __future__ import annotations

import asyncio
from collections import deque

import pytest

from model.embedded.speak.phrase_joining import MAX_JOINED_WORDS, SPEECH_S_PER_WORD, SpeechBudget, next_phrase


def _queue(*phrases: str | None) -> deque[str | None]:
    return deque(phrases)


def test_nothing_is_joined_before_any_audio_is_ahead() -> None:
    budget = SpeechBudget()
    queued = _queue("it might be a bit", "of a bottleneck")
    assert budget.join("No worries,", queued, played_s=0.0) == "No worries,"
    assert list(queued) == ["it might be a bit", "of a bottleneck"]


def test_a_slow_voice_joins_only_what_it_can_make_before_the_audio_ahead_has_played() -> None:
    budget = SpeechBudget()
    # "Sure, I can help." : 1.2 s of speech made in 0.8 s -> 1.5 s of speech a second, 0.3 s a word.
    budget.record("Sure, I can help.", audio_s=1.2, elapsed_s=0.8, cached=False)
    assert budget.speech_s("one two three four") == pytest.approx(1.2)
    assert budget.making_s("one two three four") == pytest.approx(0.8)
    # 0.2 s played: 1.0 s ahead, 0.7 s of it planned on -> at most 1.05 s of speech, 3.5 words.
    queued = _queue("of a bottleneck", "on your connection", None)
    assert budget.join("it might", queued, played_s=0.2) == "it might"  # 5 words would take 1.0 s
    assert list(queued) == ["of a bottleneck", "on your connection", None]
    # Later, with 3 s ahead: 2.1 s of making -> 3.15 s of speech, 10.5 words.
    budget.record("it might be a bit", audio_s=1.5, elapsed_s=1.0, cached=False)
    queued = _queue("on your connection", "and we can fix", "that in a few minutes", None)
    joined = budget.join("of a bottleneck", queued, played_s=budget.made_s - 3.0)
    assert joined == "of a bottleneck on your connection and we can fix"
    assert list(queued) == ["that in a few minutes", None]


def test_a_fast_voice_joins_the_rest_of_the_sentence_and_stops_at_the_end_of_what_is_written() -> None:
    budget = SpeechBudget()
    budget.record("Sure, I can help.", audio_s=1.2, elapsed_s=0.08, cached=False)  # 15x real time
    queued = _queue("of a bottleneck", "on your connection.", "Hope this helps,")
    assert (
        budget.join("it might be a bit", queued, played_s=0.5)
        == "it might be a bit of a bottleneck on your connection. Hope this helps,"
    )
    assert not queued
    # The end of the reply (None) is never taken, and one call never gets more than MAX_JOINED_WORDS.
    queued = _queue(*(["one two three four five"] * 20), None)
    joined = budget.join("go", queued, played_s=0.0)
    assert len(joined.split()) <= MAX_JOINED_WORDS < len(joined.split()) + 5
    assert queued[-1] is None


def test_phrases_of_another_language_are_not_joined() -> None:
    budget = SpeechBudget()
    budget.record("好的，我们马上为您查询一下。", audio_s=3.0, elapsed_s=0.2, cached=False)
    queued = _queue("请您稍等片刻，", "Thank you.", "谢谢。")
    assert budget.join("我们的工程师会尽快联系您，", queued, played_s=0.0) == "我们的工程师会尽快联系您，请您稍等片刻，"
    assert list(queued) == ["Thank you.", "谢谢。"]


def test_cached_audio_counts_as_ahead_but_not_towards_the_voice_speed() -> None:
    budget = SpeechBudget(speed=1.25)
    assert budget.speech_s("one two three four five") == pytest.approx(5 * SPEECH_S_PER_WORD / 1.25)
    budget.record("Sure thing.", audio_s=0.8, elapsed_s=0.0, cached=True)
    # No measured speed yet: the voice is assumed to work at real time, so only 0.56 s of speech fits.
    queued = _queue("I can help", "with that today.")
    assert budget.join("Right,", queued, played_s=0.0) == "Right,"
    budget.record("Right,", audio_s=0.5, elapsed_s=0.05, cached=False)  # 10x real time
    assert budget.join(queued.popleft() or "", queued, played_s=0.0) == "I can help with that today."


def _fast_budget_with_audio_ahead(ahead_s: float) -> SpeechBudget:
    budget = SpeechBudget()
    budget.record("Sure, I can help.", audio_s=ahead_s, elapsed_s=ahead_s / 15, cached=False)  # 15x real time
    return budget


async def _later(queue: asyncio.Queue[str | None], delay_s: float, *items: str | None) -> None:
    await asyncio.sleep(delay_s)
    for item in items:
        queue.put_nowait(item)


async def test_with_time_ahead_the_voice_waits_for_the_rest_of_an_unfinished_sentence() -> None:
    phrases: asyncio.Queue[str | None] = asyncio.Queue()
    phrases.put_nowait("Hope this helps,")
    writer = asyncio.create_task(_later(phrases, 0.15, "and call us again", "whenever the lights go red.", None))
    queued: deque[str | None] = deque()
    budget = _fast_budget_with_audio_ahead(3.0)
    phrase = await next_phrase(phrases, queued, budget, lambda: 0.5)
    assert phrase == "Hope this helps, and call us again whenever the lights go red."
    assert await next_phrase(phrases, queued, budget, lambda: 0.5) is None
    await writer


async def test_without_time_ahead_or_after_a_finished_sentence_the_voice_does_not_wait() -> None:
    for budget, first in ((SpeechBudget(), "Hope this helps,"), (_fast_budget_with_audio_ahead(3.0), "Sure thing.")):
        phrases: asyncio.Queue[str | None] = asyncio.Queue()
        phrases.put_nowait(first)
        writer = asyncio.create_task(_later(phrases, 0.3, "and call us again.", None))
        queued: deque[str | None] = deque()
        assert await next_phrase(phrases, queued, budget, lambda: 0.0) == first
        assert not writer.done()  # it did not sit waiting for the rest
        await writer
        assert await next_phrase(phrases, queued, budget, lambda: 0.0) == "and call us again."
        assert await next_phrase(phrases, queued, budget, lambda: 0.0) is None
