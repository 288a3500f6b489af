"""The text check beside the end-of-turn model: words that stop mid-sentence keep the turn open."""

from __future__ import annotations

import pytest

from model.turn.turn_words import sounds_unfinished


@pytest.mark.parametrize(
    "text",
    [
        "Tell me a story about A.",  # Whisper's transcript of a hesitation after "a" (the bench's set)
        "Could you remind me to call my?",
        "How long does it take to?",
        "Can you tell me how to get to the...",
        "I want to buy a present for.",
        "The weather today is...",
        "Set an alarm for 7 and...",
        "So I was thinking,",
        "如果明天不下雨的话,我们就……",
        "我想问一下，那个",
        "我喜欢苹果和",
    ],
)
def test_words_that_stop_mid_sentence_sound_unfinished(text: str) -> None:
    assert sounds_unfinished(text)


@pytest.mark.parametrize(
    "text",
    [
        "What is the capital city of France?",
        "Where are you from?",  # a stranded preposition ends a question
        "What is it about?",
        "Tell me something cheerful about cats.",
        "Thank you.",
        "I think so.",
        "好的。",
        "是的",
        "你今天过得怎么样？",
        "",  # nothing heard: no evidence either way
    ],
)
def test_whole_turns_do_not(text: str) -> None:
    assert not sounds_unfinished(text)
