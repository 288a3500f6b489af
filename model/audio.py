"""Sample-format and sample-rate helpers shared by the embedded engine's components.

Everything inside the engine is float32 mono in [-1, 1]; int16 only at the wire (pcm16 events).
"""

from __future__ import annotations

import numpy as np
import soxr


def int16_to_float(samples: np.ndarray) -> np.ndarray:
    """pcm16 (any integer dtype holding int16 values) -> float32 in [-1, 1)."""
    array = np.asarray(samples)
    if array.dtype != np.int16:
        array = array.astype(np.int16)
    return (array.astype(np.float32) / 32768.0).reshape(-1)


def float_to_int16(samples: np.ndarray) -> np.ndarray:
    """float audio -> int16, clipped so loud TTS peaks saturate instead of wrapping around."""
    array = np.asarray(samples, dtype=np.float32).reshape(-1)
    return (np.clip(array, -1.0, 1.0) * 32767.0).astype(np.int16)


def resample(samples: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """Resample float32 mono audio; returns a new float32 array (the input is never modified)."""
    if src_rate <= 0 or dst_rate <= 0:
        raise ValueError(f"sample rates must be positive, got {src_rate} -> {dst_rate} Hz")
    array = np.asarray(samples, dtype=np.float32).reshape(-1)
    if src_rate == dst_rate or array.size == 0:
        return array.copy()
    # "HQ" is plenty for speech and ~3x cheaper than "VHQ" on these 2-core machines.
    return soxr.resample(array, src_rate, dst_rate, quality="HQ").astype(np.float32, copy=False)


SILENCE_RMS = 0.01  # 10 ms windows quieter than this are silence (Kokoro's pauses sit near 0.001)


def trim_edge_silence(
    samples: np.ndarray, rate: int, *, keep_lead_s: float = 0.0, keep_tail_s: float = 0.0
) -> np.ndarray:
    """`samples` without the silence before the first and after the last sounding 10 ms window, but for
    `keep_lead_s` / `keep_tail_s` of it; silence only gives an empty array."""
    array = np.asarray(samples, dtype=np.float32).reshape(-1)
    window = max(1, rate // 100)
    count = array.size // window
    if count == 0:
        return array
    rms = np.sqrt(np.mean(np.square(array[: count * window].reshape(count, window)), axis=1))
    sounding = np.flatnonzero(rms > SILENCE_RMS)
    if sounding.size == 0:
        return array[:0]
    start = max(0, sounding[0] * window - int(keep_lead_s * rate))
    end = min(array.size, (sounding[-1] + 1) * window + int(keep_tail_s * rate))
    return array[start:end]
