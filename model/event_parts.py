"""The objects inside realtime events: session settings, conversation items, response info, errors.

model/events.py builds the events from these and re-exports them; import them from there.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_SAMPLE_RATE = 24_000  # the protocol's pcm16 rate; 16 kHz is accepted where asked
SUPPORTED_SAMPLE_RATES = (16_000, 24_000)
Language = Literal["en", "zh", "auto"]


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
    audio: str | None = None  # base64 pcm16 of a whole item: kept as the service sent it


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
