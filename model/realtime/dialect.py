"""How a realtime service spells our events on the wire, and what it needs told after a barge-in.

Every service reads the same events (model/events.py) but each documents its own shapes: our own
/v1/realtime takes the flat "beta" shapes plus our extensions, StepFun documents a subset of them
(model/realtime/stepfun_dialect.py), OpenAI has retired them for its GA shapes (model/realtime/openai_dialect.py).
A `Dialect` turns one client event into the JSON object its service documents, and says which
housekeeping events to send when the user interrupts a reply (truncate it, or cancel it).

Barge-in needs to know how much of the reply the user heard. The session does not see the speaker,
so `ReplyAudio` estimates it the way OpenAI's own samples do: the time since the reply's first audio
arrived (the live bridge plays it from then on at real time), capped at the audio received.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from model.events import DEFAULT_SAMPLE_RATE, ClientEvent, SessionConfig, new_id
from model.realtime.presets import RealtimeService
from model.realtime.wire import client_event_dict

log = logging.getLogger(__name__)


def pcm16_duration_ms(samples: np.ndarray, rate: int = DEFAULT_SAMPLE_RATE) -> float:
    """Duration of pcm16 mono samples in milliseconds."""
    return samples.size / rate * 1000.0


@dataclass
class ReplyAudio:
    """The reply now playing (or generating): enough to say how much of it was heard."""

    response_id: str
    in_progress: bool = True
    item_id: str | None = None
    content_index: int = 0
    first_audio_at: float | None = None  # time.monotonic() of its first audio delta
    received_ms: float = 0.0

    def add_audio(self, item_id: str, content_index: int, samples: np.ndarray) -> None:
        if self.item_id is None:
            self.item_id, self.content_index = item_id, content_index
            self.first_audio_at = time.monotonic()
        if item_id == self.item_id:
            self.received_ms += pcm16_duration_ms(samples)

    def heard_ms(self, now: float | None = None) -> int:
        """Milliseconds of this reply the user has heard by `now`: whole ms, never past what arrived."""
        if self.first_audio_at is None:
            return 0
        elapsed_ms = ((time.monotonic() if now is None else now) - self.first_audio_at) * 1000.0
        return int(max(0.0, min(elapsed_ms, self.received_ms)))

    def fully_heard(self, now: float | None = None) -> bool:
        return not self.in_progress and self.heard_ms(now) >= int(self.received_ms)


def housekeeping(kind: str, **fields: Any) -> dict[str, Any]:
    """A client event the session sends on its own; its event_id lets the session drop the error a
    race can cause (e.g. cancelling a reply the service finished a moment before)."""
    return {"type": kind, "event_id": new_id("evt_auto"), **fields}


class Dialect:
    """Our own /v1/realtime and servers like it: flat beta shapes; extensions where the service takes them."""

    def __init__(self, service: RealtimeService) -> None:
        self.service = service

    def headers(self) -> dict[str, str]:
        return dict(self.service.extra_headers)

    def encode(self, event: ClientEvent) -> dict[str, Any] | None:
        """The event as its service documents it; None for an event the service has no use for."""
        return client_event_dict(event, extensions=self.service.send_extensions, voices=self.service.voice_ids)

    def on_speech_started(self, reply: ReplyAudio | None) -> list[dict[str, Any]]:
        """Events to send when the service hears the user start talking (barge-in is allowed).

        Our own engines stop their reply themselves on `speech_started`: nothing to send.
        """
        return []

    def on_cancel(self, reply: ReplyAudio | None) -> list[dict[str, Any]]:
        """Events to send after the caller's own `response.cancel` (e.g. typed text interrupting)."""
        return []


class VoiceOnce:
    """Both hosted services refuse a voice change once they have spoken: send a voice only when it changes."""

    def __init__(self) -> None:
        self._sent: str | None = None

    def take(self, voice: str | None) -> str | None:
        if voice is None or voice == self._sent:
            return None
        self._sent = voice
        return voice


def fit_config(service: RealtimeService, config: SessionConfig) -> SessionConfig:
    """The session config as this service can take it: its own voice and transcription model."""
    update: dict[str, object] = {}
    voice_ids = service.voice_ids
    if voice_ids and config.voice is not None and config.voice not in voice_ids and service.default_voice:
        # persona voices are the embedded engine's; a hosted service speaks with its own default
        update["voice"] = service.default_voice
    if config.input_audio_transcription is not None and not service.send_extensions:
        # our engines accept any model name here; a hosted service only its own (or none at all)
        model = service.transcription_model
        update["input_audio_transcription"] = (
            config.input_audio_transcription.model_copy(update={"model": model}) if model else None
        )
    return config.model_copy(update=update) if update else config
