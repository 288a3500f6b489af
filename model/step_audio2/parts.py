"""Step-Audio 2 mini's pure parts: the chat format, the token layout, audio in and out.

No torch, no model: usable and tested on every machine. The engine is model/step_audio2/engine.py.
- `build_messages`: session instructions + multi-turn history + the user's turn -> the chat the
  reference code (PyPI `step-audio2`, `stepaudio2.StepAudio2`) expects: human turns as audio files,
  assistant turns as their speech tokens, and a final `<tts_start>` asking for a spoken answer;
- `split_output_tokens`: generated ids -> text tokens and speech codec tokens;
- resampling between the wire (16/24 kHz pcm16) and the model (16 kHz in, 24 kHz WAV out).
"""

from __future__ import annotations

import io
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

# Token layout of Step-Audio 2's vocabulary (from the reference `stepaudio2.py`): ids below
# TEXT_TOKEN_LIMIT are text; ids above AUDIO_TOKEN_OFFSET - 1 are speech codec tokens, shifted down.
TEXT_TOKEN_LIMIT = 151_688
AUDIO_TOKEN_OFFSET = 151_696
MODEL_INPUT_RATE = 16_000
MODEL_OUTPUT_RATE = 24_000
DELTA_SECONDS = 0.1
DEFAULT_GENERATION = {
    "max_new_tokens": 2048,
    "temperature": 0.7,
    "repetition_penalty": 1.05,
    "top_p": 0.9,
    "do_sample": True,
}


@dataclass(frozen=True)
class HistoryTurn:
    """One finished turn. A user turn has `audio_path` (or typed `text`); a reply has its `audio_tokens`."""

    role: str  # "human" | "assistant"
    text: str = ""
    audio_path: str | None = None
    audio_tokens: tuple[int, ...] = ()


def build_messages(instructions: str | None, history: list[HistoryTurn], user: HistoryTurn) -> list[dict[str, Any]]:
    """The chat for one spoken reply, in the reference code's message format."""
    system = instructions or "You are a helpful assistant."
    messages: list[dict[str, Any]] = [{"role": "system", "content": system}]
    for turn in [*history, user]:
        if turn.role == "human":
            if turn.audio_path:
                messages.append({"role": "human", "content": [{"type": "audio", "audio": turn.audio_path}]})
            else:
                messages.append({"role": "human", "content": turn.text})
        elif turn.audio_tokens:
            # a spoken reply goes back as its own speech tokens: the model hears what it said
            messages.append(
                {
                    "role": "assistant",
                    "content": [
                        {"type": "text", "text": "<tts_start>"},
                        {"type": "token", "token": list(turn.audio_tokens)},
                    ],
                }
            )
        else:
            messages.append({"role": "assistant", "content": turn.text})
    messages.append({"role": "assistant", "content": "<tts_start>", "eot": False})
    return messages


def split_output_tokens(token_ids: list[int]) -> tuple[list[int], list[int]]:
    """Generated ids -> (text token ids, speech codec tokens). Control ids in between are dropped."""
    text = [i for i in token_ids if i < TEXT_TOKEN_LIMIT]
    audio = [i - AUDIO_TOKEN_OFFSET for i in token_ids if i >= AUDIO_TOKEN_OFFSET]
    return text, audio


def resample_pcm16(samples: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """int16 mono -> int16 mono at another rate (soxr, as in the embedded engine)."""
    from model.audio import float_to_int16, int16_to_float, resample

    return float_to_int16(resample(int16_to_float(samples), src_rate, dst_rate))


def write_wav_16k(path: Path, samples_16k: np.ndarray) -> None:
    """float32 or int16 16 kHz mono -> a WAV file the reference code's `load_audio` can read."""
    if samples_16k.dtype != np.int16:
        samples_16k = (np.clip(samples_16k, -1.0, 1.0) * 32767.0).astype(np.int16)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(MODEL_INPUT_RATE)
        out.writeframes(samples_16k.astype("<i2").tobytes())


def wav_bytes_to_pcm16(data: bytes, out_rate: int) -> np.ndarray:
    """token2wav's WAV bytes (24 kHz; 16-bit or float) -> int16 mono at `out_rate`."""
    import soundfile

    samples, rate = soundfile.read(io.BytesIO(data), dtype="int16", always_2d=True)
    mono = samples[:, 0] if samples.shape[1] == 1 else samples.mean(axis=1).astype(np.int16)
    return mono if rate == out_rate else resample_pcm16(mono, rate, out_rate)


ClipLookup = Callable[[str], "Path | None"]


def reference_clip(voice: str | None, voices_dir: Path | None = None, lookup: ClipLookup | None = None) -> Path:
    """The reference clip whose timbre token2wav copies. Raises FileNotFoundError naming the fix.

    `voices_dir` holds one packaged WAV per voice (the app passes its own; None: no packaged clips).
    `lookup` finds clips kept elsewhere (the studio's custom voices, stored in its database) by voice id;
    a voice it knows is always spoken with its own clip, never with a stand-in.
    """
    found = lookup(voice) if lookup is not None and voice else None
    if found is not None:
        return found
    candidates = [voices_dir / f"{voice}.wav"] if voice and voices_dir is not None else []
    candidates += sorted(voices_dir.glob("*.wav")) if voices_dir is not None and voices_dir.is_dir() else []
    for path in candidates:
        if path.is_file():
            return path
    raise FileNotFoundError(
        f"no reference clip for voice {voice!r}: put a 5-15 s mono WAV at {voices_dir / f'{voice}.wav'}"
        if voices_dir is not None
        else f"no reference clip for voice {voice!r}: upload one as a custom voice"
    )
