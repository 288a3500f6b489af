"""Checking what a client sends before the session acts on it.

Every problem becomes an `error` event whose message names what was wrong and how to fix it;
nothing here raises, so one bad event never ends a session.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from pydantic import BaseModel, ValidationError

from model.events import (
    CLIENT_EVENT_ADAPTER,
    SUPPORTED_SAMPLE_RATES,
    ClientEvent,
    ConversationItem,
    ErrorEvent,
    error_event,
)

MAX_EVENT_BYTES = 4_000_000  # ~80 s of 24 kHz pcm16 in base64: far beyond any sane single append
MAX_APPEND_SECONDS = 30.0
MAX_TEXT_CHARS = 4_000  # typed user turn; the small LLM's whole context is ~2k tokens


def _first_problem(error: ValidationError) -> tuple[str, str | None]:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ()))
    return f"{where}: {first.get('msg', 'invalid')}" if where else first.get("msg", "invalid"), where or None


def parse_client_event(raw: ClientEvent | dict[str, Any] | str | bytes) -> ClientEvent | ErrorEvent:
    """A client event from a dict or JSON text; an `error` event when it is not one we understand."""
    if isinstance(raw, BaseModel):
        return raw  # already a typed client event
    if isinstance(raw, bytes | bytearray):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            return error_event("Events must be UTF-8 JSON text; got undecodable bytes.", code="invalid_json")
    if isinstance(raw, str):
        if len(raw) > MAX_EVENT_BYTES:
            return error_event(
                f"Event is {len(raw)} characters, more than the {MAX_EVENT_BYTES} allowed; "
                "send audio in smaller `input_audio_buffer.append` chunks (20-100 ms each).",
                code="event_too_large",
            )
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            return error_event(f"Event is not valid JSON ({exc.msg} at char {exc.pos}).", code="invalid_json")
    if not isinstance(raw, dict):
        return error_event(
            f"An event must be a JSON object with a `type`, got {type(raw).__name__}.", code="invalid_event"
        )
    event_id = raw.get("event_id") if isinstance(raw.get("event_id"), str) else None
    kind = raw.get("type")
    if not isinstance(kind, str):
        return error_event(
            "Event has no `type`; set it to e.g. `input_audio_buffer.append` or `session.update`.",
            code="missing_type",
            param="type",
            event_id=event_id,
        )
    try:
        return CLIENT_EVENT_ADAPTER.validate_python(raw)
    except ValidationError as exc:
        message, where = _first_problem(exc)
        if where == f"{kind}.audio" and kind == "input_audio_buffer.append" and raw.get("audio") is not None:
            return error_event(
                f"`audio` must be base64 of little-endian pcm16 mono: {message}.",
                code="invalid_audio",
                param="audio",
                event_id=event_id,
            )
        if where == kind or "union_tag_invalid" in str(exc.errors()[0].get("type")):
            return error_event(
                f"Unknown event type `{kind}`. Supported: session.update, input_audio_buffer.append, "
                "input_audio_buffer.clear, input_audio_buffer.commit, conversation.item.create, "
                "response.create, response.cancel.",
                code="unknown_event",
                param="type",
                event_id=event_id,
            )
        return error_event(
            f"Malformed `{kind}` event: {message}. Fix that field and send it again.",
            code="invalid_event",
            param=where,
            event_id=event_id,
        )


def check_audio_append(samples: np.ndarray, sample_rate: int, event_id: str | None) -> np.ndarray | ErrorEvent:
    """The int16 samples of one append, or an error naming the problem (unsupported rate, empty, too long).

    Bad base64 never gets this far: the event's `Pcm16` field refuses it when the JSON is read."""
    if sample_rate not in SUPPORTED_SAMPLE_RATES:
        return error_event(
            f"Input sample rate {sample_rate} Hz is not supported; use one of {SUPPORTED_SAMPLE_RATES}.",
            code="unsupported_sample_rate",
            param="session.input_sample_rate",
            event_id=event_id,
        )
    if samples.size == 0:
        return error_event(
            "`input_audio_buffer.append` carried no audio; send at least one pcm16 sample (20-100 ms is usual).",
            code="empty_audio",
            param="audio",
            event_id=event_id,
        )
    if samples.size > MAX_APPEND_SECONDS * sample_rate:
        return error_event(
            f"One append carried {samples.size / sample_rate:.1f} s of audio; stream it in chunks of at most "
            f"{MAX_APPEND_SECONDS:.0f} s (20-100 ms is usual) so turn detection can follow it.",
            code="audio_too_long",
            param="audio",
            event_id=event_id,
        )
    return samples


def nothing_to_commit() -> ErrorEvent:
    """`input_audio_buffer.commit` with no speech buffered."""
    return error_event(
        "Nothing to commit: no speech is buffered. Stream speech with `input_audio_buffer.append` "
        "first (or let server VAD end the turn).",
        code="input_audio_buffer_commit_empty",
    )


def typed_user_text(item: ConversationItem, event_id: str | None) -> str | ErrorEvent:
    """The text of a typed user message, or an error saying what kind of item we accept."""
    if item.role != "user":
        return error_event(
            f"Only user messages can be added to this conversation, got role `{item.role}`; "
            "put persona text in `session.update` instructions instead.",
            code="unsupported_item",
            param="item.role",
            event_id=event_id,
        )
    texts = [part.text for part in item.content if part.type in ("input_text", "text") and part.text]
    if not texts:
        return error_event(
            "The message has no text; send `content: [{type: input_text, text: ...}]` with non-empty text "
            "(audio goes through `input_audio_buffer.append`).",
            code="empty_text",
            param="item.content",
            event_id=event_id,
        )
    text = " ".join(t.strip() for t in texts).strip()
    if not text:
        return error_event("The message text is blank; type something to say.", code="empty_text", event_id=event_id)
    if len(text) > MAX_TEXT_CHARS:
        return error_event(
            f"The message is {len(text)} characters; the limit is {MAX_TEXT_CHARS}. Shorten it or split it "
            "into several turns.",
            code="text_too_long",
            param="item.content",
            event_id=event_id,
        )
    return text
