"""Realtime event types: the one interface every voice engine speaks.

The names and shapes follow the realtime protocol used by StepAudio 2.5 Realtime and OpenAI's
(beta) gpt-realtime, so the same objects travel in process (as pydantic models) and over a
WebSocket (as JSON). Audio is always base64-encoded little-endian pcm16 mono.

A few fields are our own extensions (marked "extension"); remote services ignore them and the
OpenAI SDK tolerates them because it builds events without strict validation.
"""

from __future__ import annotations

import base64
import itertools
import time
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

# --------------------------------------------------------------------------- shared pieces

DEFAULT_SAMPLE_RATE = 24_000  # the protocol's pcm16 rate; 16 kHz is accepted where asked
SUPPORTED_SAMPLE_RATES = (16_000, 24_000)
Language = Literal["en", "zh", "auto"]

_ids = itertools.count(1)


def new_id(prefix: str) -> str:
    """Short, process-unique ids in the style of the hosted services (``resp_42``)."""
    return f"{prefix}_{next(_ids):06d}"


class _Event(BaseModel):
    # extra="allow": remote services add fields we don't model; keep them instead of failing.
    model_config = ConfigDict(extra="allow")
    event_id: str | None = None


class TurnDetection(BaseModel):
    """Server-side voice activity detection, as in `turn_detection: {type: server_vad}`."""

    model_config = ConfigDict(extra="allow")
    type: Literal["server_vad", "semantic_vad"] = "server_vad"
    threshold: float = Field(0.5, ge=0.0, le=1.0)
    prefix_padding_ms: int = Field(300, ge=0, le=5_000)
    silence_duration_ms: int = Field(500, ge=0, le=10_000)
    create_response: bool = True
    interrupt_response: bool = True  # extension-compatible: may the user barge in


class FewShotTurn(BaseModel):
    """Extension: one example exchange of a persona, shown to a small chat model as a real turn."""

    model_config = ConfigDict(extra="allow")
    user: str = Field(max_length=2_000)
    assistant: str = Field(max_length=2_000)


class InputAudioTranscription(BaseModel):
    model_config = ConfigDict(extra="allow")
    model: str = "whisper"
    language: str | None = None


class SessionConfig(BaseModel):
    """The `session` object of `session.update` / `session.created`.

    Every field is optional in an update: only the fields present are changed.
    """

    model_config = ConfigDict(extra="allow")
    modalities: list[Literal["text", "audio"]] | None = None
    instructions: str | None = Field(None, max_length=32_000)
    voice: str | None = Field(None, max_length=200)
    input_audio_format: Literal["pcm16"] | None = None
    output_audio_format: Literal["pcm16"] | None = None
    input_audio_transcription: InputAudioTranscription | None = None
    turn_detection: TurnDetection | None = None
    temperature: float | None = Field(None, ge=0.0, le=2.0)
    max_response_output_tokens: int | Literal["inf"] | None = None
    # extensions
    speed: float | None = Field(None, ge=0.25, le=4.0)
    language: Language | None = None
    input_sample_rate: Literal[16_000, 24_000] | None = None
    output_sample_rate: Literal[16_000, 24_000] | None = None
    greeting: str | None = Field(None, max_length=2_000)
    max_sentences: int | None = Field(None, ge=1, le=50)
    examples: list[FewShotTurn] | None = Field(None, max_length=20)  # the persona's example lines
    brain: str | None = Field(None, max_length=200)  # the embedded engine's chat model (brain id)


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: Literal["input_text", "input_audio", "text", "audio"] = "input_text"
    text: str | None = Field(None, max_length=8_000)
    transcript: str | None = None
    audio: str | None = None


class ConversationItem(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str | None = None
    type: Literal["message"] = "message"
    role: Literal["user", "assistant", "system"] = "user"
    content: list[ContentPart] = Field(default_factory=list, max_length=16)


class TurnTimings(BaseModel):
    """Extension: when each stage of one turn happened, as wall-clock epoch milliseconds.

    Subtract `speech_end_ms` to get the time from the end of user speech to each stage.
    """

    speech_end_ms: float = 0.0  # wall clock of the last voiced frame, epoch ms
    turn_decided_ms: float | None = None  # end-of-turn decision (silence wait / semantic model)
    asr_done_ms: float | None = None
    # When the chat model was asked; before `turn_decided_ms` when the reply was started at the speaker's
    # pause (the early transcript) and adopted once the turn ended there.
    reply_started_ms: float | None = None
    llm_first_token_ms: float | None = None
    first_audio_ms: float | None = None
    llm_tokens: int = 0
    llm_tokens_per_s: float | None = None
    tts_rtf: float | None = None
    first_phrase_cached: bool | None = None  # the first phrase's audio was made before (phrase cache)


class ResponseInfo(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    object: Literal["realtime.response"] = "realtime.response"
    status: Literal["in_progress", "completed", "cancelled", "failed", "incomplete"] = "in_progress"
    status_details: dict | None = None
    output: list[ConversationItem] = Field(default_factory=list)
    timings: TurnTimings | None = None  # extension


class ErrorInfo(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str = "invalid_request_error"
    code: str | None = None
    message: str
    param: str | None = None
    event_id: str | None = None


# --------------------------------------------------------------------------- client events


class SessionUpdate(_Event):
    type: Literal["session.update"] = "session.update"
    session: SessionConfig


class InputAudioBufferAppend(_Event):
    type: Literal["input_audio_buffer.append"] = "input_audio_buffer.append"
    audio: str  # base64 pcm16


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


ClientEvent = Annotated[
    SessionUpdate
    | InputAudioBufferAppend
    | InputAudioBufferClear
    | InputAudioBufferCommit
    | ConversationItemCreate
    | ResponseCreate
    | ResponseCancel,
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
    delta: str  # base64 pcm16 at the session's output rate


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


def encode_pcm16(samples: np.ndarray) -> str:
    """float32 [-1, 1] or int16 samples -> base64 pcm16 (little endian)."""
    if samples.dtype != np.int16:
        samples = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2")
    return base64.b64encode(samples.astype("<i2").tobytes()).decode("ascii")


def decode_pcm16(data: str) -> np.ndarray:
    """base64 pcm16 -> int16 samples. Raises ValueError on bad base64 or an odd byte count."""
    raw = base64.b64decode(data, validate=True)
    if len(raw) % 2:
        raise ValueError(f"pcm16 audio must have an even number of bytes, got {len(raw)}")
    return np.frombuffer(raw, dtype="<i2")


def now_ms() -> float:
    return time.time() * 1000.0
