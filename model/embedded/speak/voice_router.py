"""One synthesiser for the whole voice catalogue: each phrase goes to the model its voice belongs to.

Kokoro speaks the packaged voices and blends in English and Chinese; Piper speaks the fast English
voice. A Chinese phrase for the English-only voice is spoken by the default Kokoro voice instead of
failing: a bilingual persona then still answers a Chinese question aloud (logged once per process).
"""

from __future__ import annotations

import logging

import numpy as np
import onnxruntime as ort

from model.audio import trim_edge_silence
from model.embedded.speak.kokoro import SAMPLE_RATE, KokoroTts
from model.embedded.speak.piper import PiperTts
from model.embedded.speak.voices import DEFAULT_VOICE_ID, FAST_VOICE_ID

logger = logging.getLogger(__name__)

# Silence kept at a phrase's edges. Kokoro pads some voices far more than others (Gongitsune ~0.25 s before and
# ~0.45 s after every phrase, Alpha ~0.04 and ~0.08): phrases are spoken one after another, so that padding
# was heard as a pause at every comma, and Lin spoke 40% under her scene's pace. Kept: about Alpha's.
KEEP_LEAD_S = 0.05
KEEP_TAIL_S = 0.15


class VoiceRouter:
    """`SpeechSynthesizer` over Kokoro and Piper; both make 24 kHz audio. Thread-safe as they are."""

    sample_rate: int = SAMPLE_RATE

    def __init__(self, kokoro: KokoroTts, piper: PiperTts) -> None:
        self.kokoro = kokoro
        self.piper = piper
        self._warned_fallback = False

    def synthesize(
        self, text: str, *, voice: str, speed: float, language: str, run_options: ort.RunOptions | None = None
    ) -> np.ndarray:
        audio = self._synthesize(text, voice=voice, speed=speed, language=language, run_options=run_options)
        return trim_edge_silence(audio, self.sample_rate, keep_lead_s=KEEP_LEAD_S, keep_tail_s=KEEP_TAIL_S)

    def _synthesize(
        self, text: str, *, voice: str, speed: float, language: str, run_options: ort.RunOptions | None
    ) -> np.ndarray:
        if voice == FAST_VOICE_ID:
            if language == "en":
                return self.piper.synthesize(text, voice=voice, speed=speed, language=language, run_options=run_options)
            if not self._warned_fallback:
                self._warned_fallback = True
                logger.warning("%s speaks English only: %s phrases use %s", voice, language, DEFAULT_VOICE_ID)
            voice = DEFAULT_VOICE_ID
        return self.kokoro.synthesize(text, voice=voice, speed=speed, language=language, run_options=run_options)

    @property
    def packaged_voice_styles(self) -> dict[str, np.ndarray]:
        return self.kokoro.packaged_voice_styles

    def phonemize(self, text: str, language: str) -> str:
        """Kokoro's phonemes for `text` (the quality lab and tests read them)."""
        return self.kokoro.phonemize(text, language)
