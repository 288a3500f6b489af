"""Reference-clip checks: a custom voice's clip must be a readable WAV of a usable length and rate.

Timbre-cloning engines (Step-Audio 2 mini) copy a voice from 5-15 s of clean speech; shorter clips
carry too little of the voice, much longer ones only cost memory. Every refusal names the fix.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

MIN_SECONDS = 3.0
MAX_SECONDS = 30.0
MIN_SAMPLE_RATE = 16_000
MAX_SAMPLE_RATE = 48_000
MAX_CHANNELS = 2


class VoiceClipError(ValueError):
    """A clip that cannot be a custom voice; the message names the problem and the fix."""


@dataclass(frozen=True)
class ClipFacts:
    sample_rate: int
    channels: int
    duration_s: float
    sha256: str


def check_clip(data: bytes, *, max_bytes: int, source_name: str = "the clip") -> ClipFacts:
    """The facts of a valid WAV clip, or VoiceClipError saying what is wrong with it and how to fix it."""
    import soundfile

    if not data:
        raise VoiceClipError(f"{source_name} is empty; upload a WAV recording of 5-15 s of speech")
    if len(data) > max_bytes:
        raise VoiceClipError(
            f"{source_name} is {len(data):,} bytes, over the custom-voice limit of {max_bytes:,} bytes; "
            "trim it to 5-15 s of mono speech, or raise STEPAUDIO_MAX_VOICE_CLIP_BYTES"
        )
    try:
        info = soundfile.info(io.BytesIO(data))
    except Exception:  # noqa: BLE001 - libsndfile raises several types for unreadable input
        raise VoiceClipError(
            f"{source_name} is not a readable WAV file; export the recording as WAV (PCM, mono) and upload that"
        ) from None
    if info.format not in ("WAV", "WAVEX"):
        raise VoiceClipError(f"{source_name} is a {info.format} file, not WAV; convert it to WAV (PCM, mono)")
    if not MIN_SAMPLE_RATE <= info.samplerate <= MAX_SAMPLE_RATE:
        raise VoiceClipError(
            f"{source_name} is sampled at {info.samplerate} Hz; use {MIN_SAMPLE_RATE:,}-{MAX_SAMPLE_RATE:,} Hz "
            "(24,000 Hz or 16,000 Hz are best)"
        )
    if info.channels > MAX_CHANNELS:
        raise VoiceClipError(f"{source_name} has {info.channels} channels; mix it down to mono")
    duration = info.frames / info.samplerate
    if not MIN_SECONDS <= duration <= MAX_SECONDS:
        raise VoiceClipError(
            f"{source_name} lasts {duration:.1f} s; a reference clip must last {MIN_SECONDS:.0f}-{MAX_SECONDS:.0f} s "
            "(5-15 s of clean speech is best)"
        )
    return ClipFacts(
        sample_rate=int(info.samplerate),
        channels=int(info.channels),
        duration_s=round(duration, 3),
        sha256=hashlib.sha256(data).hexdigest(),
    )
