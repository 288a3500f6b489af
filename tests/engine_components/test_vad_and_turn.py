"""Silero VAD and Smart Turn on real audio: speech vs silence and noise, clear errors on bad frames."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from model.embedded.models import EmbeddedModels
from model.turn.smart_turn import last_window

pytestmark = pytest.mark.models


def _frame_probabilities(models: EmbeddedModels, audio: np.ndarray) -> list[float]:
    vad = models.vad_model.new_stream()
    usable = audio[: audio.size - audio.size % vad.frame_samples]
    return [vad.speech_probability(frame) for frame in usable.reshape(-1, vad.frame_samples)]


def test_speech_frames_score_high(
    embedded_models: EmbeddedModels, kokoro_speech_16k: Callable[..., np.ndarray]
) -> None:
    speech = kokoro_speech_16k("The library opens at nine in the morning on weekdays.")
    probabilities = _frame_probabilities(embedded_models, speech)
    speech_frames = sum(probability > 0.5 for probability in probabilities)
    assert max(probabilities) > 0.9
    assert speech_frames / len(probabilities) > 0.5, f"only {speech_frames}/{len(probabilities)} frames heard as speech"


def test_silence_and_white_noise_score_low(embedded_models: EmbeddedModels) -> None:
    generator = np.random.default_rng(7)
    silence = np.zeros(16_000 * 2, dtype=np.float32)
    noise = (generator.standard_normal(16_000 * 3) * 0.05).astype(np.float32)
    assert max(_frame_probabilities(embedded_models, silence)) < 0.1
    noise_probabilities = _frame_probabilities(embedded_models, noise)
    assert sum(probability > 0.5 for probability in noise_probabilities) == 0


def test_streams_keep_separate_state_and_reset(
    embedded_models: EmbeddedModels, kokoro_speech_16k: Callable[..., np.ndarray]
) -> None:
    speech = kokoro_speech_16k("Hello there, how are you?")[: 512 * 20].reshape(-1, 512)
    first, second = embedded_models.vad_model.new_stream(), embedded_models.vad_model.new_stream()
    run_one = [first.speech_probability(frame) for frame in speech]
    second.speech_probability(np.zeros(512, dtype=np.float32))  # other stream's state must not leak
    run_again = [embedded_models.vad_model.new_stream().speech_probability(frame) for frame in speech[:1]]
    first.reset()
    after_reset = [first.speech_probability(frame) for frame in speech]
    assert run_one[0] == pytest.approx(run_again[0], abs=1e-6)
    assert after_reset == pytest.approx(run_one, abs=1e-5)


def test_wrong_frame_size_names_the_fix(embedded_models: EmbeddedModels) -> None:
    vad = embedded_models.vad_model.new_stream()
    with pytest.raises(ValueError, match="512 samples"):
        vad.speech_probability(np.zeros(480, dtype=np.float32))


def test_end_of_turn_hears_finished_question_vs_trailing_clause(
    embedded_models: EmbeddedModels, kokoro_speech_16k: Callable[..., np.ndarray]
) -> None:
    turn_model = embedded_models.turn_model
    assert turn_model is not None, "Smart Turn v3.2 should be installed (pipecat-ai, in the lock)"
    lead, tail = np.zeros(8_000, dtype=np.float32), np.zeros(3_200, dtype=np.float32)  # 0.5 s before, 0.2 s after

    def probability(text: str) -> float:
        speech = kokoro_speech_16k(text, voice="jm_kumo")
        return turn_model.probability_complete(np.concatenate([lead, speech, tail]))

    finished = probability("What's the weather like in Paris today?")
    unfinished = probability("So I was thinking that maybe we could")
    assert finished > 0.5 > unfinished, (finished, unfinished)


def test_end_of_turn_window_keeps_the_last_eight_seconds() -> None:
    long_turn = np.arange(16_000 * 10, dtype=np.float32)
    short_turn = np.ones(16_000, dtype=np.float32)
    assert last_window(long_turn)[0] == 16_000 * 2
    padded = last_window(short_turn)
    assert padded.size == 16_000 * 8 and padded[0] == 0.0 and padded[-1] == 1.0
