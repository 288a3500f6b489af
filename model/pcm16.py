"""pcm16 audio in events: numpy int16 arrays in the process, base64 text only on the wire.

`Pcm16` is the type of every audio field of the realtime events (model/events.py). Inside one process
an event holds its samples as a 1-D little-endian int16 array, so the live bridge and the embedded
engine hand audio to each other without encoding it. Validation still takes base64 text (what a
WebSocket peer sends), and dumping in JSON mode (`model_dump(mode="json")`, what model/realtime/wire.py
sends) writes base64 again: the wire is the one place audio becomes text.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

import numpy as np
from pydantic import PlainSerializer, PlainValidator, WithJsonSchema

PCM16 = np.dtype("<i2")


def encode_pcm16(samples: np.ndarray) -> str:
    """float32 [-1, 1] or int16 samples -> base64 pcm16 (little endian)."""
    return base64.b64encode(as_pcm16(samples).tobytes()).decode("ascii")


def decode_pcm16(data: str | bytes) -> np.ndarray:
    """base64 pcm16 -> int16 samples. Raises ValueError on bad base64 or an odd byte count."""
    try:
        raw = base64.b64decode(data, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"audio is not base64 ({exc})") from None
    if len(raw) % 2:
        raise ValueError(f"pcm16 audio must have an even number of bytes, got {len(raw)}")
    return np.frombuffer(raw, dtype=PCM16)


def as_pcm16(samples: np.ndarray) -> np.ndarray:
    """Samples as 1-D little-endian int16: int16 as is (no copy), floats in [-1, 1] scaled and clipped."""
    array = np.asarray(samples).reshape(-1)
    if array.dtype.kind == "f":
        return (np.clip(array, -1.0, 1.0) * 32767.0).astype(PCM16)
    if array.dtype.kind not in "iu":
        raise ValueError(f"audio samples must be int16 or float, got dtype {array.dtype}")
    return array if array.dtype == PCM16 else array.astype(PCM16)


def _validate(value: Any) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return as_pcm16(value)
    if isinstance(value, str | bytes):
        return decode_pcm16(value)
    raise ValueError(f"audio must be base64 pcm16 text or a numpy array, got {type(value).__name__}")


Pcm16 = Annotated[
    np.ndarray,
    PlainValidator(_validate),
    PlainSerializer(encode_pcm16, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "contentEncoding": "base64", "description": "little-endian pcm16 mono"}),
]
