"""Kokoro speech for real: English and Mandarin round trips through Whisper, speed, voices, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from model.audio import resample
from model.embedded.models import EmbeddedModels
from model.embedded.speak.kokoro import MODEL_FILE_NAME
from model.embedded.speak.voices import (
    BLENDS,
    DEFAULT_VOICE_ID,
    FAST_VOICE_ID,
    PACKAGED_VOICE_IDS,
    resolve_voice_style,
    voice_catalogue,
    voice_info,
)
from tests.engine_components.speech_metrics import character_error_rate, word_error_rate

pytestmark = pytest.mark.models


def _round_trip(models: EmbeddedModels, text: str, language: str, voice: str = DEFAULT_VOICE_ID) -> str:
    audio = models.tts.synthesize(text, voice=voice, speed=1.0, language=language)
    assert audio.dtype == np.float32 and audio.ndim == 1 and np.abs(audio).max() <= 1.0
    return models.asr.transcribe(resample(audio, models.tts.sample_rate, 16_000), language).text


def test_english_speech_transcribes_back_to_the_text(embedded_models: EmbeddedModels) -> None:
    text = "I can help you plan a quiet weekend by the sea."
    heard = _round_trip(embedded_models, text, "en")
    assert word_error_rate(text, heard) <= 0.15, heard


def test_mandarin_speech_transcribes_back_to_the_text(embedded_models: EmbeddedModels) -> None:
    text = "我可以帮你安排一个安静的周末。"
    heard = _round_trip(embedded_models, text, "zh")
    assert character_error_rate(text, heard) <= 0.3, heard


def test_a_blended_voice_speaks_intelligibly(embedded_models: EmbeddedModels) -> None:
    text = "Good evening, and welcome back."
    heard = _round_trip(embedded_models, text, "en", voice="blend_deep")
    assert word_error_rate(text, heard) <= 0.2, heard


def test_blends_are_weighted_mixes_of_packaged_styles(embedded_models: EmbeddedModels) -> None:
    styles = embedded_models.tts.packaged_voice_styles  # type: ignore[attr-defined]
    blended = resolve_voice_style("blend_deep", styles)
    assert blended.shape == styles["jm_kumo"].shape and blended.dtype == np.float32
    assert np.allclose(blended, 0.75 * styles["jm_kumo"] + 0.25 * styles["jf_gongitsune"], atol=1e-6)
    assert not np.allclose(blended, styles["jm_kumo"], atol=1e-3)


@pytest.mark.parametrize("voice", [DEFAULT_VOICE_ID, FAST_VOICE_ID])  # Kokoro and Piper
def test_speed_changes_duration(embedded_models: EmbeddedModels, voice: str) -> None:
    text = "Slowly, then quickly."
    slow = embedded_models.tts.synthesize(text, voice=voice, speed=0.8, language="en")
    fast = embedded_models.tts.synthesize(text, voice=voice, speed=1.4, language="en")
    assert fast.size < slow.size * 0.75, (slow.size, fast.size)


def test_unknown_voice_lists_the_valid_ids(embedded_models: EmbeddedModels) -> None:
    with pytest.raises(ValueError, match="Unknown voice id 'af_heart'.*jf_alpha.*blend_warm"):
        embedded_models.tts.synthesize("Hello.", voice="af_heart", speed=1.0, language="en")


def test_bad_speed_and_language_are_clear_errors(embedded_models: EmbeddedModels) -> None:
    with pytest.raises(ValueError, match="speed must be between 0.5 and 2.0"):
        embedded_models.tts.synthesize("Hello.", voice=DEFAULT_VOICE_ID, speed=3.0, language="en")
    with pytest.raises(ValueError, match="'en' or 'zh'"):
        embedded_models.tts.synthesize("Bonjour.", voice=DEFAULT_VOICE_ID, speed=1.0, language="fr")


@pytest.mark.parametrize("voice", [DEFAULT_VOICE_ID, FAST_VOICE_ID])
def test_nothing_speakable_gives_empty_audio(embedded_models: EmbeddedModels, voice: str) -> None:
    assert embedded_models.tts.synthesize("... !!", voice=voice, speed=1.0, language="en").size == 0


def test_mandarin_with_an_english_word_is_spoken(embedded_models: EmbeddedModels) -> None:
    phonemes = embedded_models.tts.phonemize("我喜欢 iPhone 手机。", "zh")  # type: ignore[attr-defined]
    assert "iPhone" not in phonemes and "↓" in phonemes  # English phonemised, Mandarin tones marked


def test_model_is_joined_into_the_chosen_cache_folder_only(
    embedded_models: EmbeddedModels, model_cache_dir: Path
) -> None:
    assert (model_cache_dir / MODEL_FILE_NAME).stat().st_size > 50_000_000


def test_catalogue_has_packaged_voices_and_blends_with_provenance() -> None:
    catalogue = voice_catalogue()
    ids = [voice.id for voice in catalogue]
    assert ids[: len(PACKAGED_VOICE_IDS)] == list(PACKAGED_VOICE_IDS)
    assert len(BLENDS) >= 3 and set(BLENDS) <= set(ids)
    assert DEFAULT_VOICE_ID == "jf_alpha"
    for voice in catalogue:
        assert voice.description and voice.source and voice.consent and voice.license
        if voice.id == FAST_VOICE_ID:
            assert voice.model.startswith("Piper") and voice.languages == ("en",)
            assert "commercial" in voice.license  # its base voice's corpus restricts commercial use: said plainly
            continue
        assert voice.model == "Kokoro-82M v1.0 int8" and "Apache-2.0" in voice.license
        assert {"en", "zh"} <= set(voice.languages)
    assert ids[-1] == FAST_VOICE_ID
    assert voice_info("blend_warm").name == "Warm blend"
    with pytest.raises(ValueError, match="jf_alpha, jf_gongitsune"):
        voice_info("nobody")


def _silent_edges_s(audio: np.ndarray, rate: int) -> tuple[float, float]:
    """Seconds of silence (10 ms windows under the engine's silence level) before and after the speech."""
    from model.audio import SILENCE_RMS

    window = rate // 100
    count = audio.size // window
    rms = np.sqrt(np.mean(np.square(audio[: count * window].reshape(count, window)), axis=1))
    sounding = np.flatnonzero(rms > SILENCE_RMS)
    return sounding[0] * window / rate, (count - 1 - sounding[-1]) * window / rate


@pytest.mark.parametrize(
    ("text", "language"), [("I can practice some English words.", "en"), ("您好，请先检查充电器。", "zh")]
)
def test_a_phrase_comes_without_long_edge_silence_and_with_all_its_speech(
    embedded_models: EmbeddedModels, text: str, language: str
) -> None:
    """Gongitsune's phrases came with ~0.25 s of silence before and ~0.45 s after: spoken one after another,
    every comma became a long pause. The speech itself is untouched."""
    from model.audio import trim_edge_silence
    from model.embedded.speak.voice_router import KEEP_LEAD_S, KEEP_TAIL_S

    tts = embedded_models.tts
    raw = tts.kokoro.synthesize(text, voice="jf_gongitsune", speed=0.9, language=language)
    spoken = tts.synthesize(text, voice="jf_gongitsune", speed=0.9, language=language)
    raw_lead, raw_tail = _silent_edges_s(raw, tts.sample_rate)
    lead, tail = _silent_edges_s(spoken, tts.sample_rate)
    assert raw_lead + raw_tail > KEEP_LEAD_S + KEEP_TAIL_S + 0.2  # the padding this removes
    assert lead <= KEEP_LEAD_S + 0.01 and tail <= KEEP_TAIL_S + 0.01
    speech = trim_edge_silence(raw, tts.sample_rate)
    assert spoken.size - speech.size <= (KEEP_LEAD_S + KEEP_TAIL_S) * tts.sample_rate + 1
    assert np.array_equal(trim_edge_silence(spoken, tts.sample_rate), speech)
