"""StepAudio 2.5 Realtime's dialect: the subset of the beta shapes StepFun documents.

StepFun's realtime reference (platform.stepfun.com/docs/zh/api-reference/realtime/chat) lists the
client events session.update, input_audio_buffer.append/commit/clear, conversation.item.create/
delete, response.create and response.cancel, with flat session fields only: `modalities` (fixed
to ["text", "audio"]), `instructions`, `voice`, `input_audio_format` / `output_audio_format`
(pcm16), `tools`, and `turn_detection` (`server_vad` only: `prefix_padding_ms`,
`silence_duration_ms`, `energy_awakeness_threshold`). Server events use the beta names
(`response.audio.delta`, `response.audio_transcript.delta`, ...). An unsupported event type is
answered with an `error` (`invalid_value`, param `type`; the developer guide's example) and the
session goes on.

So: no OpenAI GA shapes, no `conversation.item.truncate` (not documented), no transcription request
(StepFun transcribes the user on its own), and on a barge-in the client cancels the reply in progress
with `response.cancel`, since StepFun does not document cancelling it by itself.
"""

from __future__ import annotations

import logging
from typing import Any

from model.events import ClientEvent, SessionConfig, SessionUpdate
from model.realtime.dialect import Dialect, ReplyAudio, VoiceOnce, housekeeping
from model.realtime.presets import RealtimeService

log = logging.getLogger(__name__)

STEPFUN_MODALITIES = ["text", "audio"]
_TURN_DETECTION_FIELDS = ("type", "prefix_padding_ms", "silence_duration_ms", "energy_awakeness_threshold")


class StepFunDialect(Dialect):
    def __init__(self, service: RealtimeService) -> None:
        super().__init__(service)
        self._voice = VoiceOnce()

    def encode(self, event: ClientEvent) -> dict[str, Any] | None:
        if isinstance(event, SessionUpdate):
            return {"type": "session.update", "session": self.session(event.session)}
        return event.model_dump(mode="json", exclude_none=True)

    def session(self, config: SessionConfig) -> dict[str, Any]:
        """Only the session fields StepFun documents, in the forms it documents."""
        session: dict[str, Any] = {}
        if config.modalities:
            session["modalities"] = list(STEPFUN_MODALITIES)  # the only value StepFun accepts
        if config.instructions is not None:
            session["instructions"] = config.instructions
        voices = self.service.voice_ids
        voice = self._voice.take(config.voice if not voices or config.voice in voices else None)
        if voice is not None:
            session["voice"] = voice
        session["input_audio_format"] = session["output_audio_format"] = "pcm16"
        if config.turn_detection is not None:
            turn = config.turn_detection.model_dump(mode="json", exclude_none=True)
            if turn["type"] != "server_vad":
                log.info("StepFun only offers server_vad turn detection; using it instead of %s", turn["type"])
            turn["type"] = "server_vad"
            session["turn_detection"] = {name: turn[name] for name in _TURN_DETECTION_FIELDS if name in turn}
        return session

    def on_speech_started(self, reply: ReplyAudio | None) -> list[dict[str, Any]]:
        if reply is None or not reply.in_progress:
            return []  # nothing generating: the live bridge already dropped the queued audio
        return [housekeeping("response.cancel")]
