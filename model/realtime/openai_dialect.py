"""gpt-realtime's dialect: OpenAI's generally available (GA) Realtime API shapes.

OpenAI retired the beta interface: a connection sending `OpenAI-Beta: realtime=v1` is closed with
code 4000 `beta_api_shape_disabled`, and a flat (beta-shaped) `session.update` is answered with
`missing_required_parameter: session.type`. What GA wants instead (the `openai` SDK's
`openai.types.realtime` and developers.openai.com/api/docs/guides/realtime-conversations):
- `session.update` carries `session: {type: "realtime", model, instructions, output_modalities,
  max_output_tokens, audio: {input: {format, transcription, turn_detection}, output: {format, voice,
  speed}}}`; any other field is refused as `unknown_parameter` (so no `temperature`, no extensions);
- `output_modalities` is `["audio"]` (audio plus its transcript) or `["text"]`, never both;
- assistant message content is `output_text` / `output_audio`;
- audio is `{type: "audio/pcm", rate: 24000}` both ways;
- after a barge-in the server cancels the reply itself (`interrupt_response`), and the client says
  how much was heard with `conversation.item.truncate` (an `audio_end_ms` past the audio sent is an
  error), so the model's context holds only what the user heard.
Server events come back with GA names (`response.output_audio.delta` ...); model/realtime/wire.py
reads both dialects.
"""

from __future__ import annotations

import logging
from typing import Any

from model.events import (
    ClientEvent,
    ConversationItemCreate,
    ResponseCreate,
    SessionConfig,
    SessionUpdate,
    TurnDetection,
)
from model.realtime.dialect import Dialect, ReplyAudio, VoiceOnce, housekeeping
from model.realtime.presets import RealtimeService

log = logging.getLogger(__name__)

PCM_24K = {"type": "audio/pcm", "rate": 24_000}
SPEED_RANGE = (0.25, 1.5)  # audio.output.speed, per the SDK's RealtimeAudioConfigOutput
_ASSISTANT_CONTENT = {"text": "output_text", "audio": "output_audio"}
_SEMANTIC_VAD_FIELDS = ("type", "eagerness", "create_response", "interrupt_response")
_SERVER_VAD_FIELDS = (
    "type",
    "threshold",
    "prefix_padding_ms",
    "silence_duration_ms",
    "create_response",
    "interrupt_response",
    "idle_timeout_ms",
)


def ga_output_modalities(modalities: list[str]) -> list[str]:
    """Beta `["text", "audio"]` meant audio plus transcript; GA spells that `["audio"]`."""
    return ["audio"] if "audio" in modalities else ["text"]


def ga_turn_detection(turn: TurnDetection) -> dict[str, Any]:
    """Only the fields GA documents for this kind of VAD (semantic_vad has no threshold or timings)."""
    data = turn.model_dump(mode="json", exclude_none=True)
    allowed = _SEMANTIC_VAD_FIELDS if turn.type == "semantic_vad" else _SERVER_VAD_FIELDS
    return {name: data[name] for name in allowed if name in data}


class OpenAIGADialect(Dialect):
    def __init__(self, service: RealtimeService) -> None:
        super().__init__(service)
        self._voice = VoiceOnce()

    def headers(self) -> dict[str, str]:
        # an OpenAI-Beta header selects the retired interface; never pass one on, whatever is configured
        return {k: v for k, v in super().headers().items() if k.lower() != "openai-beta"}

    def encode(self, event: ClientEvent) -> dict[str, Any] | None:
        if isinstance(event, SessionUpdate):
            return {"type": "session.update", "session": self.session(event.session)}
        data = event.model_dump(mode="json", exclude_none=True)
        if isinstance(event, ResponseCreate) and event.response:
            response = dict(event.response)
            if "modalities" in response:
                response["output_modalities"] = ga_output_modalities(response.pop("modalities"))
            data["response"] = response
        elif isinstance(event, ConversationItemCreate) and event.item.role == "assistant":
            for part in data["item"]["content"]:
                part["type"] = _ASSISTANT_CONTENT.get(part["type"], part["type"])
        return data

    def session(self, config: SessionConfig) -> dict[str, Any]:
        """Our (flat) session config as a GA `session` object; only the fields GA documents."""
        session: dict[str, Any] = {"type": "realtime", "model": self.service.model}
        if config.instructions is not None:
            session["instructions"] = config.instructions
        if config.modalities:
            session["output_modalities"] = ga_output_modalities(list(config.modalities))
        if config.max_response_output_tokens is not None:
            session["max_output_tokens"] = config.max_response_output_tokens
        audio_in: dict[str, Any] = {"format": dict(PCM_24K)}
        if config.turn_detection is not None:
            audio_in["turn_detection"] = ga_turn_detection(config.turn_detection)
        if config.input_audio_transcription is not None:
            transcription = {"model": config.input_audio_transcription.model}
            language = config.input_audio_transcription.language or config.language
            if language and language != "auto":
                transcription["language"] = language  # ISO-639-1 helps accuracy and latency
            audio_in["transcription"] = transcription
        audio_out: dict[str, Any] = {"format": dict(PCM_24K)}
        voices = self.service.voice_ids
        voice = self._voice.take(config.voice if not voices or config.voice in voices else None)
        if voice is not None:
            audio_out["voice"] = voice
        if config.speed is not None:
            audio_out["speed"] = min(max(config.speed, SPEED_RANGE[0]), SPEED_RANGE[1])
        session["audio"] = {"input": audio_in, "output": audio_out}
        if config.temperature is not None:
            log.debug("gpt-realtime has no temperature setting; %s not sent", config.temperature)
        return session

    def on_speech_started(self, reply: ReplyAudio | None) -> list[dict[str, Any]]:
        # the server cancels a reply in progress itself; the context must lose what was not heard
        return self._truncate(reply)

    def on_cancel(self, reply: ReplyAudio | None) -> list[dict[str, Any]]:
        return self._truncate(reply)

    @staticmethod
    def _truncate(reply: ReplyAudio | None) -> list[dict[str, Any]]:
        if reply is None or reply.item_id is None or reply.fully_heard():
            return []
        return [
            housekeeping(
                "conversation.item.truncate",
                item_id=reply.item_id,
                content_index=reply.content_index,
                audio_end_ms=reply.heard_ms(),
            )
        ]
