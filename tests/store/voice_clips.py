"""WAV clips for custom-voice tests: the packaged synthetic reference clips, and made-to-measure ones."""

from __future__ import annotations

import io

import numpy as np
import soundfile

from stepaudio_ui.package_data import packaged_folder

ASSETS_VOICES = packaged_folder("assets") / "voices"


def packaged_clip(voice_id: str = "jf_alpha") -> bytes:
    """One of the synthetic Kokoro clips Step-Audio 2 mini clones from (a real, speech-like WAV)."""
    return (ASSETS_VOICES / f"{voice_id}.wav").read_bytes()


def tone_wav(seconds: float, rate: int = 24_000, channels: int = 1, fmt: str = "WAV") -> bytes:
    """A quiet tone of exactly `seconds` (for the duration, rate and format checks)."""
    t = np.arange(int(seconds * rate)) / rate
    samples = (0.1 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    if channels > 1:
        samples = np.repeat(samples[:, None], channels, axis=1)
    buffer = io.BytesIO()
    soundfile.write(buffer, samples, rate, format=fmt, subtype="PCM_16")
    return buffer.getvalue()
