"""The stereo export puts the microphone's side (48 kHz) at the persona's rate (24 kHz) without aliasing:
a tone above the persona's Nyquist frequency must not fold back into the audible band."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from stepaudio_ui.live.history_export import both_sides_wav
from stepaudio_ui.live.session import PERSONA_WAV, USER_WAV, conversation_audio_dir

MIC_RATE, PERSONA_RATE = 48_000, 24_000


def _write(path: Path, samples: np.ndarray, rate: int) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.astype("<i2").tobytes())


def test_user_side_is_low_passed_when_brought_to_the_persona_rate(tmp_path: Path) -> None:
    folder = conversation_audio_dir(tmp_path, 7)
    folder.mkdir(parents=True)
    seconds = np.arange(MIC_RATE) / MIC_RATE
    speech_band = 8_000 * np.sin(2 * np.pi * 1_000 * seconds)  # a 1 kHz tone: must survive
    above_nyquist = 8_000 * np.sin(2 * np.pi * 15_000 * seconds)  # 15 kHz: above 12 kHz, must go
    _write(folder / USER_WAV, speech_band + above_nyquist, MIC_RATE)
    _write(folder / PERSONA_WAV, np.zeros(PERSONA_RATE), PERSONA_RATE)

    out = both_sides_wav(tmp_path, 7, tmp_path / "both.wav")
    assert out is not None
    with wave.open(str(out), "rb") as wav:
        assert wav.getframerate() == PERSONA_RATE and wav.getnchannels() == 2
        left = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, 2)[:, 0].astype(float)
    middle = left[PERSONA_RATE // 10 : -PERSONA_RATE // 10]  # away from the filter's edges
    spectrum = np.abs(np.fft.rfft(middle)) / len(middle)
    hz = np.fft.rfftfreq(len(middle), 1 / PERSONA_RATE)
    kept = spectrum[np.abs(hz - 1_000) < 20].max()
    folded = spectrum[np.abs(hz - 9_000) < 20].max()  # where 15 kHz lands when it aliases at 24 kHz
    assert kept > 3_000  # the 1 kHz tone keeps its level (amplitude 8000 -> ~4000 per rfft bin)
    assert folded < kept / 100, f"15 kHz folded back to 9 kHz at {folded:.0f} (1 kHz: {kept:.0f})"
