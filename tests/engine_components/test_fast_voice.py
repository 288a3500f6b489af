"""Piper's fast English voice for real: intelligible, quick, level-matched, fallback, interruptible (speed and
punctuation-only text: test_tts, over every voice model)."""

from __future__ import annotations

import threading
import time

import numpy as np
import onnxruntime as ort
import pytest

from model.audio import resample
from model.embedded.models import EmbeddedModels
from model.embedded.speak.kokoro import SynthesisInterrupted
from model.embedded.speak.voices import DEFAULT_VOICE_ID, FAST_VOICE_ID
from tests.engine_components.speech_metrics import character_error_rate, word_error_rate

pytestmark = pytest.mark.models


def _rms(audio: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(audio))))


def test_fast_voice_speaks_english_intelligibly(embedded_models: EmbeddedModels) -> None:
    text = "I can help you plan a quiet weekend by the sea."
    audio = embedded_models.tts.synthesize(text, voice=FAST_VOICE_ID, speed=1.0, language="en")
    assert audio.dtype == np.float32 and audio.ndim == 1 and np.abs(audio).max() <= 0.96
    heard = embedded_models.asr.transcribe(resample(audio, embedded_models.tts.sample_rate, 16_000), "en").text
    assert word_error_rate(text, heard) <= 0.15, heard


def test_fast_voice_is_much_quicker_than_kokoro_and_as_loud(embedded_models: EmbeddedModels) -> None:
    """Not a timing target (the bench measures those): the reason this voice exists, checked loosely."""
    text = "Of course, let me look that up for you right away."
    tts = embedded_models.tts

    def made(voice: str) -> tuple[np.ndarray, float]:
        started = time.perf_counter()
        audio = tts.synthesize(text, voice=voice, speed=1.0, language="en")
        return audio, time.perf_counter() - started

    made(FAST_VOICE_ID)
    fast, fast_s = min((made(FAST_VOICE_ID) for _ in range(2)), key=lambda pair: pair[1])
    kokoro, kokoro_s = min((made(DEFAULT_VOICE_ID) for _ in range(2)), key=lambda pair: pair[1])
    assert fast_s * 2 < kokoro_s, (fast_s, kokoro_s)
    assert 0.5 < _rms(fast) / _rms(kokoro) < 2.0, "loudness should match the Kokoro voices"


def test_chinese_for_the_english_only_voice_is_spoken_by_the_default_voice(embedded_models: EmbeddedModels) -> None:
    text = "我可以帮你安排一个安静的周末。"
    audio = embedded_models.tts.synthesize(text, voice=FAST_VOICE_ID, speed=1.0, language="zh")
    heard = embedded_models.asr.transcribe(resample(audio, embedded_models.tts.sample_rate, 16_000), "zh").text
    assert character_error_rate(text, heard) <= 0.3, heard


def test_fast_voice_synthesis_stops_when_told(embedded_models: EmbeddedModels) -> None:
    text = " ".join(["This sentence is long so that making it takes a while."] * 12)
    run_options = ort.RunOptions()
    timer = threading.Timer(0.01, lambda: setattr(run_options, "terminate", True))
    timer.start()
    with pytest.raises(SynthesisInterrupted):
        embedded_models.tts.synthesize(text, voice=FAST_VOICE_ID, speed=1.0, language="en", run_options=run_options)
    timer.join()
