"""Whisper recognition of real speech: English WER, Chinese in Simplified script, language detection."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from model.embedded.models import EmbeddedModels
from tests.engine_components.speech_metrics import character_error_rate, word_error_rate

pytestmark = pytest.mark.models

ENGLISH = [
    "The weather is lovely today, so we are going for a walk in the park.",
    "Please book a table for two people at seven o'clock tonight.",
    "My favourite colour is blue and I like to drink green tea.",
]
MANDARIN = "今天天气很好，我们一起去公园散步吧。"
TRADITIONAL_ONLY = set("們這說氣園東國來個時會學")


def test_english_tts_speech_transcribes_with_low_wer(
    embedded_models: EmbeddedModels, kokoro_speech_16k: Callable[..., np.ndarray]
) -> None:
    errors = []
    for sentence in ENGLISH:
        transcript = embedded_models.asr.transcribe(kokoro_speech_16k(sentence), "en")
        errors.append(word_error_rate(sentence, transcript.text))
        assert transcript.language == "en" and transcript.audio_s > 1.0 and transcript.elapsed_s > 0
    assert sum(errors) / len(errors) <= 0.10, errors


def test_english_from_a_second_voice_source_transcribes(
    embedded_models: EmbeddedModels, espeak_speech_16k: Callable[[str], np.ndarray]
) -> None:
    # espeak-ng is a formant synthesiser, far more robotic than a person: a looser bound, still far
    # below the ~100% error of a recogniser that hears nothing right.
    sentence = "The weather is lovely today, so we are going for a walk in the park."
    transcript = embedded_models.asr.transcribe(espeak_speech_16k(sentence), "en")
    assert word_error_rate(sentence, transcript.text) <= 0.35, transcript.text


def test_mandarin_comes_back_as_simplified_chinese(
    embedded_models: EmbeddedModels, kokoro_speech_16k: Callable[..., np.ndarray]
) -> None:
    transcript = embedded_models.asr.transcribe(kokoro_speech_16k(MANDARIN, language="zh"), "zh")
    assert transcript.language == "zh"
    assert character_error_rate(MANDARIN, transcript.text) <= 0.3, transcript.text
    assert not TRADITIONAL_ONLY & set(transcript.text), f"Traditional characters in {transcript.text!r}"


def test_auto_language_picks_english_or_mandarin(
    embedded_models: EmbeddedModels, kokoro_speech_16k: Callable[..., np.ndarray]
) -> None:
    mandarin = embedded_models.asr.transcribe(kokoro_speech_16k(MANDARIN, language="zh"), "auto")
    english = embedded_models.asr.transcribe(kokoro_speech_16k(ENGLISH[1]), "auto")
    assert mandarin.language == "zh" and character_error_rate(MANDARIN, mandarin.text) <= 0.3
    assert english.language == "en" and word_error_rate(ENGLISH[1], english.text) <= 0.15


def test_empty_or_tiny_audio_gives_empty_text(embedded_models: EmbeddedModels) -> None:
    transcript = embedded_models.asr.transcribe(np.zeros(100, dtype=np.float32), "en")
    assert transcript.text == "" and transcript.audio_s == pytest.approx(100 / 16_000)


def test_unknown_language_is_a_clear_error(embedded_models: EmbeddedModels) -> None:
    with pytest.raises(ValueError, match="'en', 'zh' or 'auto'|en, zh, auto"):
        embedded_models.asr.transcribe(np.zeros(16_000, dtype=np.float32), "fr")
