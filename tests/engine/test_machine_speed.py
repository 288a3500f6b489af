"""`bench engine`'s figures for each embedded model alone, on the real models."""

from __future__ import annotations

import pytest

from model.embedded.models import EmbeddedModels
from stepaudio_ui.bench.machine_speed import measure_models_alone
from stepaudio_ui.bench.utterances import Utterance

pytestmark = pytest.mark.models


def test_every_stage_is_timed_alone(embedded_models: EmbeddedModels, utterances: dict[str, Utterance]) -> None:
    figures = measure_models_alone(embedded_models, utterances["en_capital"], repeats=1)
    timed = {key: value for key, value in figures.items() if key != "alone_utterance_s"}
    assert set(timed) == {
        "alone_smart_turn_ms",
        "alone_asr_ms",
        "alone_llm_ttft_ms",
        "alone_llm_tokens_per_s",
        "alone_kokoro_rtf",
        "alone_kokoro_opener_ms",
        "alone_fast_voice_rtf",
        "alone_fast_voice_opener_ms",
    }
    assert all(value is not None and value > 0 for value in timed.values()), figures
    assert 1.0 < (figures["alone_utterance_s"] or 0) < 4.0
    # Each voice is timed with its own model: Piper makes speech several times faster than Kokoro.
    assert (figures["alone_fast_voice_rtf"] or 0) < (figures["alone_kokoro_rtf"] or 0)
