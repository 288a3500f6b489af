"""Realtime event types: the one interface every voice engine speaks.

The names and shapes follow the realtime protocol used by StepAudio 2.5 Realtime and OpenAI's
(beta) gpt-realtime, so the same objects travel in process (as pydantic models) and over a
WebSocket (as JSON). Audio is little-endian pcm16 mono: numpy int16 arrays in the process, base64
text on the wire (model/pcm16.py; model/realtime/wire.py writes and reads the JSON).

A few fields are our own extensions (marked "extension"); remote services ignore them and the
OpenAI SDK tolerates them because it builds events without strict validation.
"""

from __future__ import annotations

import itertools
import time
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from model.event_parts import (
    DEFAULT_SAMPLE_RATE,
    SUPPORTED_SAMPLE_RATES,
    ContentPart,
    ConversationItem,
    ErrorInfo,
    FewShotTurn,
    InputAudioTranscription,
    Language,
    ResponseInfo,
    SessionConfig,
    TurnDetection,
    TurnTimings,
)
from model.pcm16 import Pcm16, decode_pcm16, encode_pcm16

__all__ = [  # the objects inside events are re-exported: `from model.events import ...` reaches everything
    "DEFAULT_SAMPLE_RATE",
    "SUPPORTED_SAMPLE_RATES",
    "ContentPart",
    "ConversationItem",
    "ErrorInfo",
    "FewShotTurn",
    "InputAudioTranscription",
    "Language",
    "ResponseInfo",
    "SessionConfig",
    "TurnDetection",
    "TurnTimings",
    "decode_pcm16",
    "encode_pcm16",
]

_ids = itertools.count(1)


def new_id(prefix: str) -> str:
    """Short, process-unique ids in the style of the hosted services (``resp_42``)."""
    return f"{prefix}_{next(_ids):06d}"


class _Event(BaseModel):
    # extra="allow": remote services add fields we don't model; keep them instead of failing.
    model_config = ConfigDict(extra="allow")
    event_id: str | None = None


# --------------------------------------------------------------------------- client events


class SessionUpdate(_Event):
    type: Literal["session.update"] = "session.update"
    session: SessionConfig


class InputAudioBufferAppend(_Event):
    type: Literal["input_audio_buffer.append"] = "input_audio_buffer.append"
    audio: Pcm16  # int16 samples; base64 pcm16 on the wire


class InputAudioBufferClear(_Event):
    type: Literal["input_audio_buffer.clear"] = "input_audio_buffer.clear"


class InputAudioBufferCommit(_Event):
    type: Literal["input_audio_buffer.commit"] = "input_audio_buffer.commit"


class ConversationItemCreate(_Event):
    type: Literal["conversation.item.create"] = "conversation.item.create"
    previous_item_id: str | None = None
    item: ConversationItem


class ResponseCreate(_Event):
    type: Literal["response.create"] = "response.create"
    response: dict | None = None


class ResponseCancel(_Event):
    type: Literal["response.cancel"] = "response.cancel"
    response_id: str | None = None


class ConversationItemTruncate(_Event):
    """The listener heard `audio_end_ms` of an assistant item's audio: the rest leaves the conversation."""

    type: Literal["conversation.item.truncate"] = "conversation.item.truncate"
    item_id: str = Field(max_length=200)
    content_index: int = Field(0, ge=0)
    audio_end_ms: int = Field(ge=0)


ClientEvent = Annotated[
    SessionUpdate
    | InputAudioBufferAppend
    | InputAudioBufferClear
    | InputAudioBufferCommit
    | ConversationItemCreate
    | ResponseCreate
    | ResponseCancel
    | ConversationItemTruncate,
    Field(discriminator="type"),
]
CLIENT_EVENT_ADAPTER: TypeAdapter[ClientEvent] = TypeAdapter(ClientEvent)

# --------------------------------------------------------------------------- server events


class SessionCreated(_Event):
    type: Literal["session.created"] = "session.created"
    session: SessionConfig


class SessionUpdated(_Event):
    type: Literal["session.updated"] = "session.updated"
    session: SessionConfig


class SpeechStarted(_Event):
    type: Literal["input_audio_buffer.speech_started"] = "input_audio_buffer.speech_started"
    audio_start_ms: int
    item_id: str


class SpeechStopped(_Event):
    type: Literal["input_audio_buffer.speech_stopped"] = "input_audio_buffer.speech_stopped"
    audio_end_ms: int
    item_id: str


class InputAudioBufferCommitted(_Event):
    type: Literal["input_audio_buffer.committed"] = "input_audio_buffer.committed"
    item_id: str
    previous_item_id: str | None = None


class InputTranscriptionCompleted(_Event):
    type: Literal["conversation.item.input_audio_transcription.completed"] = (
        "conversation.item.input_audio_transcription.completed"
    )
    item_id: str
    content_index: int = 0
    transcript: str
    language: str | None = None  # extension


class ConversationItemCreated(_Event):
    type: Literal["conversation.item.created"] = "conversation.item.created"
    previous_item_id: str | None = None
    item: ConversationItem


class ConversationItemTruncated(_Event):
    type: Literal["conversation.item.truncated"] = "conversation.item.truncated"
    item_id: str
    content_index: int = 0
    audio_end_ms: int


class ResponseCreated(_Event):
    type: Literal["response.created"] = "response.created"
    response: ResponseInfo


class _ResponsePart(_Event):
    response_id: str
    item_id: str
    output_index: int = 0
    content_index: int = 0


class ResponseAudioDelta(_ResponsePart):
    type: Literal["response.audio.delta"] = "response.audio.delta"
    delta: Pcm16  # int16 samples at the session's output rate; base64 pcm16 on the wire


class ResponseAudioDone(_ResponsePart):
    type: Literal["response.audio.done"] = "response.audio.done"


class ResponseAudioTranscriptDelta(_ResponsePart):
    type: Literal["response.audio_transcript.delta"] = "response.audio_transcript.delta"
    delta: str


class ResponseAudioTranscriptDone(_ResponsePart):
    type: Literal["response.audio_transcript.done"] = "response.audio_transcript.done"
    transcript: str


class ResponseDone(_Event):
    type: Literal["response.done"] = "response.done"
    response: ResponseInfo


class ErrorEvent(_Event):
    type: Literal["error"] = "error"
    error: ErrorInfo


ServerEvent = Annotated[
    SessionCreated
    | SessionUpdated
    | SpeechStarted
    | SpeechStopped
    | InputAudioBufferCommitted
    | InputTranscriptionCompleted
    | ConversationItemCreated
    | ConversationItemTruncated
    | ResponseCreated
    | ResponseAudioDelta
    | ResponseAudioDone
    | ResponseAudioTranscriptDelta
    | ResponseAudioTranscriptDone
    | ResponseDone
    | ErrorEvent,
    Field(discriminator="type"),
]
SERVER_EVENT_ADAPTER: TypeAdapter[ServerEvent] = TypeAdapter(ServerEvent)


# --------------------------------------------------------------------------- helpers


def error_event(message: str, *, code: str, param: str | None = None, event_id: str | None = None) -> ErrorEvent:
    """An `error` event whose message says what was wrong and how to fix it."""
    return ErrorEvent(error=ErrorInfo(message=message, code=code, param=param, event_id=event_id))


def now_ms() -> float:
    return time.time() * 1000.0
