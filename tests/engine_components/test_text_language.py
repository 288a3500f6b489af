"""One English/Chinese detector: the engine (which voice speaks a phrase), the quality lab (was the reply
in the expected language) and the Character Card importer (the persona's language) answer alike."""

from __future__ import annotations

import pytest

from model.embedded.speak.phrases import detect_language as phrase_language
from model.text_language import detect_language, languages_of
from stepaudio_ui.exchange.chara_card import card_data, card_to_persona
from stepaudio_ui.quality.scorers import detect_language as reply_language

MIXED = [
    ("Hello there, 你好", "zh"),  # two Latin words, two characters: Chinese, as the engine always spoke it
    ("我们的 iPhone 15 Pro 售后服务", "zh"),  # a Chinese sentence quoting a brand
    ("Hi, I'm 小星, your assistant.", "en"),  # an English sentence naming a Chinese persona
    ("OK 好的，没问题。", "zh"),
    ("Sure!", "en"),
]


@pytest.mark.parametrize(("text", "language"), MIXED)
def test_engine_and_quality_lab_agree(text: str, language: str) -> None:
    assert detect_language(text) == phrase_language(text) == reply_language(text) == language


def test_no_letters_is_no_language_except_for_the_voice() -> None:
    assert detect_language("12:30 ...") is None and reply_language("...") is None
    assert phrase_language("12:30") == "en"  # the engine still has to pick a voice for digits


def test_a_card_is_bilingual_only_with_sentences_in_both_languages() -> None:
    chinese = card_data({"name": "小星 Xiaoxing", "description": "你是小星，一位耐心的客服。", "first_mes": "您好！"})
    assert card_to_persona(chinese)[0].language == "zh"  # a romanised name is not English text
    bilingual = card_data({"name": "Lin", "description": "A patient tutor. 你是林老师。", "first_mes": "Hello! 你好！"})
    assert card_to_persona(bilingual)[0].language == "both"
    assert languages_of("A calm guide.", "Welcome aboard.") == "en"
