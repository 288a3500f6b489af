"""Real models for the component tests, each loaded once per test run (session scope)."""

from __future__ import annotations

import functools
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from model.audio import resample
from model.embedded.models import EmbeddedModels, EmbeddedOptions, load_models, warm_up

SAMPLE_RATE = 16_000


@pytest.fixture(scope="session")
def model_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(scope="session")
def embedded_models(model_cache_dir: Path) -> EmbeddedModels:
    models = load_models(EmbeddedOptions(cache_dir=model_cache_dir))
    warm_up(models)
    return models


@pytest.fixture(scope="session")
def kokoro_speech_16k(embedded_models: EmbeddedModels) -> Callable[..., np.ndarray]:
    """Speech made by our own Kokoro TTS, at 16 kHz for the recognisers."""

    @functools.cache  # several tests hear the same sentence: make it once
    def speak(text: str, language: str = "en", voice: str = "jf_alpha", speed: float = 1.0) -> np.ndarray:
        audio = embedded_models.tts.synthesize(text, voice=voice, speed=speed, language=language)
        return resample(audio, embedded_models.tts.sample_rate, SAMPLE_RATE)

    return speak


@pytest.fixture(scope="session")
def espeak_speech_16k() -> Callable[[str], np.ndarray]:
    """English speech from espeak-ng: a second, independent voice source, so ASR is not only tested
    on the TTS it was paired with."""
    binary = shutil.which("espeak-ng")
    if binary is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")

    def speak(text: str) -> np.ndarray:
        import soundfile

        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "speech.wav"
            subprocess.run([binary, "-v", "en-us", "-s", "150", "-w", str(path), text], check=True)
            audio, rate = soundfile.read(str(path), dtype="float32")
        return resample(audio, rate, SAMPLE_RATE)

    return speak
