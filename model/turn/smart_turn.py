"""Semantic end of turn: does the user's speech so far sound like a finished turn?

Smart Turn v3.2 (BSD-2, by Daily for pipecat) is a Whisper-encoder classifier over the last 8 s of
16 kHz audio that hears intonation and phrasing ("I'd like to..." vs "I'd like tea."). Its ONNX file
ships inside the `pipecat-ai` wheel, installed without dependencies; we only locate the file
(importing `pipecat` would patch asyncio). Features are Whisper's log-mel, computed by
faster-whisper's numpy feature extractor, so neither torch nor transformers is needed.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
import time
from pathlib import Path
from typing import Protocol

import numpy as np
import onnxruntime as ort
from faster_whisper.feature_extractor import FeatureExtractor

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
WINDOW_S = 8
WINDOW_SAMPLES = WINDOW_S * SAMPLE_RATE
SMART_TURN_FILE = "smart-turn-v3.2-cpu.onnx"
_NORMALISE_EPS = 1e-7


class EndOfTurnModel(Protocol):
    def probability_complete(self, audio_16k: np.ndarray) -> float:
        """Probability (0..1) that the turn is complete, given the last <= 8 s of the user's turn."""
        ...


def packaged_smart_turn_path() -> Path | None:
    """The Smart Turn v3.2 ONNX file inside the installed `pipecat-ai` wheel, or None when absent."""
    spec = importlib.util.find_spec("pipecat")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / "audio" / "turn" / "smart_turn" / "data" / SMART_TURN_FILE
        if candidate.is_file():
            return candidate
    return None


def last_window(audio_16k: np.ndarray) -> np.ndarray:
    """The last 8 s of the turn, left-padded with silence when shorter (the model's training layout)."""
    audio = np.asarray(audio_16k, dtype=np.float32).reshape(-1)
    if audio.size >= WINDOW_SAMPLES:
        return audio[-WINDOW_SAMPLES:]
    return np.pad(audio, (WINDOW_SAMPLES - audio.size, 0))


class SmartTurnV3:
    """Smart Turn v3.2 over onnxruntime; one instance is shared by every session (runs are serialised:
    one ~25 ms inference at a time keeps the 2 CPU cores free for ASR and TTS)."""

    def __init__(self, model_path: Path | None = None) -> None:
        path = model_path or packaged_smart_turn_path()
        if path is None:
            raise RuntimeError(
                "Smart Turn v3.2 is not installed: `pip install pipecat-ai==1.14.0` (it carries the "
                "ONNX file), or run without the semantic end-of-turn model (silence timing only)."
            )
        started = time.perf_counter()
        options = ort.SessionOptions()
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.inter_op_num_threads = 1
        options.intra_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        self._session = ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
        self._features = FeatureExtractor(feature_size=80, chunk_length=WINDOW_S)
        self._lock = threading.Lock()
        logger.info("Smart Turn v3.2 loaded from %s in %.2f s", path.name, time.perf_counter() - started)

    def features(self, audio_16k: np.ndarray) -> np.ndarray:
        """Whisper log-mel features (1, 80, 800) of the zero-mean, unit-variance last 8 s."""
        window = last_window(audio_16k)
        normalised = (window - window.mean()) / np.sqrt(window.var() + _NORMALISE_EPS)
        log_mel = self._features(normalised, padding=0)[:, : WINDOW_SAMPLES // 160]
        return log_mel[np.newaxis].astype(np.float32)

    def probability_complete(self, audio_16k: np.ndarray) -> float:
        features = self.features(audio_16k)
        with self._lock:
            (output,) = self._session.run(None, {"input_features": features})[:1]
        return float(np.asarray(output).reshape(-1)[0])
