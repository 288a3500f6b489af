"""The two spellings of a realtime `session` object: GA (nested `session.audio`) <-> beta (flat).

model/realtime/wire.py uses these to read GA clients and services and to answer GA clients; `WireError`
is the one error for a message we cannot use, raised here and in wire.py.
"""

from __future__ import annotations

from typing import Any


class WireError(ValueError):
    """A client message we cannot use; `code` and the message go back to the client as an `error` event."""

    def __init__(self, message: str, *, code: str, param: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.param = param


def _object_at(container: dict[str, Any], key: str, path: str) -> dict[str, Any]:
    """`container[key]` when it is a JSON object (missing or null: empty); else a WireError naming `path`."""
    value = container.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise WireError(f"{path} must be an object, got {type(value).__name__}", code="invalid_event", param=path)
    return value


def ga_session_to_beta(session: dict[str, Any]) -> dict[str, Any]:
    """GA `session` (nested audio config) -> the flat beta shape our SessionConfig models."""
    flat = {k: v for k, v in session.items() if k not in {"type", "audio", "output_modalities", "max_output_tokens"}}
    if "output_modalities" in session:
        if not isinstance(session["output_modalities"], list):
            raise WireError(
                'session.output_modalities must be a list, e.g. ["audio"]',
                code="invalid_event",
                param="session.output_modalities",
            )
        flat["modalities"] = session["output_modalities"]
    if "max_output_tokens" in session:
        flat["max_response_output_tokens"] = session["max_output_tokens"]
    audio = _object_at(session, "audio", "session.audio")
    audio_in = _object_at(audio, "input", "session.audio.input")
    audio_out = _object_at(audio, "output", "session.audio.output")
    if "turn_detection" in audio_in and audio_in["turn_detection"] is not None:
        flat["turn_detection"] = audio_in["turn_detection"]
    if audio_in.get("transcription") is not None:
        flat["input_audio_transcription"] = audio_in["transcription"]
    for direction, fmt in (("input", audio_in.get("format")), ("output", audio_out.get("format"))):
        if fmt is not None and not isinstance(fmt, dict):
            raise WireError(
                f"session.audio.{direction}.format must be an object such as {{'type': 'audio/pcm', 'rate': 24000}}",
                code="invalid_event",
                param=f"session.audio.{direction}.format",
            )
        if isinstance(fmt, dict):
            if fmt.get("type") not in (None, "audio/pcm"):
                raise WireError(
                    f"audio format {fmt.get('type')!r} is not supported: use {{'type': 'audio/pcm', 'rate': 24000}}",
                    code="unsupported_audio_format",
                    param=f"session.audio.{direction}.format",
                )
            flat[f"{direction}_audio_format"] = "pcm16"
            if fmt.get("rate") is not None:
                flat[f"{direction}_sample_rate"] = fmt["rate"]
    if "voice" in audio_out:
        flat["voice"] = audio_out["voice"]
    if "speed" in audio_out:
        flat["speed"] = audio_out["speed"]
    return flat


def beta_session_to_ga(flat: dict[str, Any]) -> dict[str, Any]:
    """Our flat session -> the GA shape (`type: realtime`, nested audio config), for GA clients."""
    moved = {"modalities", "voice", "speed", "turn_detection", "input_audio_transcription"}
    moved |= {"input_audio_format", "output_audio_format", "input_sample_rate", "output_sample_rate"}
    session: dict[str, Any] = {"type": "realtime", **{k: v for k, v in flat.items() if k not in moved}}
    if "modalities" in flat:
        session["output_modalities"] = flat["modalities"]
    audio_in: dict[str, Any] = {"format": {"type": "audio/pcm", "rate": flat.get("input_sample_rate", 24_000)}}
    audio_out: dict[str, Any] = {"format": {"type": "audio/pcm", "rate": flat.get("output_sample_rate", 24_000)}}
    if "turn_detection" in flat:
        audio_in["turn_detection"] = flat["turn_detection"]
    if "input_audio_transcription" in flat:
        audio_in["transcription"] = flat["input_audio_transcription"]
    for name in ("voice", "speed"):
        if name in flat:
            audio_out[name] = flat[name]
    session["audio"] = {"input": audio_in, "output": audio_out}
    return session
