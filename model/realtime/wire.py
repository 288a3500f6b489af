"""JSON <-> event objects for the realtime WebSocket protocol, in both directions and both dialects.

Two dialects of the same protocol are in the wild:
- "beta" (OpenAI's retired beta realtime API, still spoken by StepAudio 2.5 Realtime): flat `session`
  fields, `response.audio.delta`, `response.audio_transcript.delta`;
- "GA" (OpenAI's generally available API): `session.type = "realtime"`, nested `session.audio.input`
  / `session.audio.output`, `output_modalities`, and `response.output_audio.delta` style names.

Our engines speak beta internally (model/events.py). The /v1/realtime server uses `parse_client_message`
+ `server_event_json`; the realtime client engine reads every service with `parse_server_message` and
writes with its service's dialect (model/realtime/dialect.py, model/realtime/openai_dialect.py,
model/realtime/stepfun_dialect.py), which builds on `client_event_dict`.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from pydantic import ValidationError

from model.events import (
    CLIENT_EVENT_ADAPTER,
    SERVER_EVENT_ADAPTER,
    ClientEvent,
    ServerEvent,
    new_id,
)
from model.realtime.ga_session import WireError, beta_session_to_ga, ga_session_to_beta

log = logging.getLogger(__name__)

# Server event names: beta -> GA. The reverse map reads GA services' events.
BETA_TO_GA_SERVER_NAMES: dict[str, str] = {
    "response.audio.delta": "response.output_audio.delta",
    "response.audio.done": "response.output_audio.done",
    "response.audio_transcript.delta": "response.output_audio_transcript.delta",
    "response.audio_transcript.done": "response.output_audio_transcript.done",
    "response.text.delta": "response.output_text.delta",
    "response.text.done": "response.output_text.done",
}
GA_TO_BETA_SERVER_NAMES: dict[str, str] = {ga: beta for beta, ga in BETA_TO_GA_SERVER_NAMES.items()}
GA_TO_BETA_SERVER_NAMES["conversation.item.added"] = "conversation.item.created"

SUPPORTED_CLIENT_EVENTS: tuple[str, ...] = (
    "session.update",
    "input_audio_buffer.append",
    "input_audio_buffer.commit",
    "input_audio_buffer.clear",
    "conversation.item.create",
    "response.create",
    "response.cancel",
    "conversation.item.truncate",  # the embedded engine keeps only the heard text; other engines ignore it
)
# Events real clients send that need no action from our engines. Accepted silently.
IGNORED_CLIENT_EVENTS: frozenset[str] = frozenset({"conversation.item.delete", "output_audio_buffer.clear"})
# Fields of our SessionConfig that only our own engines understand: never sent to a remote service.
EXTENSION_SESSION_FIELDS: frozenset[str] = frozenset(
    {"speed", "language", "input_sample_rate", "output_sample_rate", "greeting", "max_sentences", "examples", "brain"}
)
_GA_CONTENT_TYPES = {"output_text": "text", "output_audio": "audio"}


def _normalise_client_dict(data: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Rewrite GA client shapes into beta ones. Returns (event dict, whether it was GA-shaped)."""
    kind = data.get("type")
    is_ga = False
    if kind == "session.update" and isinstance(data.get("session"), dict):
        session = data["session"]
        if session.get("type") == "transcription":
            raise WireError(
                "transcription-only sessions are not supported here: use a realtime session",
                code="unsupported_session_type",
                param="session.type",
            )
        if session.get("type") == "realtime" or "audio" in session or "output_modalities" in session:
            is_ga = True
            data = {**data, "session": ga_session_to_beta(session)}
    elif kind == "conversation.item.create" and isinstance(data.get("item"), dict):
        content = data["item"].get("content")
        if isinstance(content, list):
            fixed = []
            for part in content:
                if isinstance(part, dict) and part.get("type") in _GA_CONTENT_TYPES:
                    is_ga = True
                    part = {**part, "type": _GA_CONTENT_TYPES[part["type"]]}
                fixed.append(part)
            data = {**data, "item": {**data["item"], "content": fixed}}
    return data, is_ga


def _first_error_location(exc: ValidationError) -> tuple[str, str]:
    first = exc.errors()[0]
    # the discriminated union puts the event type first in `loc`; drop it so the path reads like the JSON
    loc = [str(part) for part in first["loc"][1:]] or [str(part) for part in first["loc"]]
    return ".".join(loc), first["msg"]


def _loads(text: str | bytes) -> Any:
    """JSON, or a WireError that says what is wrong with it (including what json.loads itself can't take)."""
    try:
        return json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise WireError(
            f"message is not valid JSON ({exc}): send one JSON object per message", code="invalid_json"
        ) from None
    except RecursionError:
        raise WireError(
            "message is nested too deeply: events are a few levels of objects", code="invalid_json"
        ) from None
    except ValueError:  # e.g. an integer of more than 4,300 digits
        raise WireError(
            "message holds a number too large to read: send ordinary numbers", code="invalid_json"
        ) from None


def parse_client_message(text: str | bytes) -> tuple[ClientEvent | None, bool]:
    """One client WebSocket message -> (event, is_ga). Event is None for events that need no action.

    Raises WireError naming the problem (bad JSON, unknown event type, invalid field) and the fix.
    """
    data = _loads(text)
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise WireError('each message must be a JSON object with a string "type"', code="invalid_event", param="type")
    kind = data["type"]
    if kind in IGNORED_CLIENT_EVENTS:
        return None, False
    if kind not in SUPPORTED_CLIENT_EVENTS:
        raise WireError(
            f"unknown event type {kind!r}: supported are {', '.join(SUPPORTED_CLIENT_EVENTS)}",
            code="unknown_event",
            param="type",
        )
    data, is_ga = _normalise_client_dict(data)
    try:
        event = CLIENT_EVENT_ADAPTER.validate_python(data)
    except ValidationError as exc:
        where, why = _first_error_location(exc)
        if kind == "input_audio_buffer.append" and where == "audio" and data.get("audio") is not None:
            # base64 is decoded here, at the wire: the engines receive int16 samples
            raise WireError(
                f"audio must be base64 of little-endian pcm16 mono: {why}", code="invalid_audio", param="audio"
            ) from None
        raise WireError(f"invalid {kind} event: {where}: {why}", code="invalid_event", param=where) from None
    return event, is_ga


def server_event_json(event: ServerEvent, *, ga: bool = False) -> str:
    """A server event as the JSON text a client of the given dialect expects."""
    data = event.model_dump(mode="json", exclude_none=True)
    data.setdefault("event_id", new_id("event"))  # clients (the OpenAI SDK's types) require one
    if data["type"] == "conversation.item.input_audio_transcription.completed":
        # the SDK's type requires `usage`; our transcription is local and not metered
        data.setdefault("usage", {"type": "duration", "seconds": 0.0})
    if ga and data["type"] in BETA_TO_GA_SERVER_NAMES:
        data["type"] = BETA_TO_GA_SERVER_NAMES[data["type"]]
    elif ga and data["type"] in ("session.created", "session.updated"):
        data["session"] = beta_session_to_ga(data["session"])
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def client_event_json(event: ClientEvent, *, extensions: bool = True, voices: frozenset[str] = frozenset()) -> str:
    """A client event as beta-dialect JSON for a realtime service (see `client_event_dict`)."""
    data = client_event_dict(event, extensions=extensions, voices=voices)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def client_event_dict(
    event: ClientEvent, *, extensions: bool = True, voices: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """A client event as a beta-dialect dict.

    extensions=False leaves out our own session fields (a hosted service may refuse unknown fields);
    `voices`, when given, is the service's voice list: a voice outside it is dropped so the service
    keeps its default instead of failing the whole update.
    """
    data = event.model_dump(mode="json", exclude_none=True)
    session = data.get("session")
    if isinstance(session, dict):
        if not extensions:
            for name in EXTENSION_SESSION_FIELDS:
                session.pop(name, None)
        if voices and session.get("voice") not in voices:
            dropped = session.pop("voice", None)
            if dropped is not None:
                log.info("voice %r is not offered by this service; keeping its default voice", dropped)
    return data


def _message_items(items: list[Any]) -> list[Any]:
    """Conversation items as we model them: messages only (no tool calls), GA content types renamed."""
    messages = []
    for item in items:
        if not isinstance(item, dict) or item.get("type", "message") != "message":
            continue
        content = [
            {**part, "type": _GA_CONTENT_TYPES.get(part.get("type"), part.get("type"))}
            for part in item.get("content") or []
            if isinstance(part, dict)
        ]
        messages.append({**item, "content": content})
    return messages


def parse_server_message(text: str | bytes, *, response_id: str | None = None) -> ServerEvent | None:
    """A service's message -> our ServerEvent (GA names mapped); None for events we don't model.

    `response_id` (the reply in progress) fills a delta that leaves it out, as StepFun's samples do.
    Raises WireError when the text is not JSON or a modelled event is malformed.
    """
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise WireError(f"service sent a message that is not JSON ({exc})", code="invalid_json") from None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise WireError("service sent a message without a type", code="invalid_event")
    data["type"] = GA_TO_BETA_SERVER_NAMES.get(data["type"], data["type"])
    if response_id and data["type"].startswith("response.audio") and "response_id" not in data:
        data["response_id"] = response_id
    if data["type"] in ("session.created", "session.updated") and isinstance(data.get("session"), dict):
        session = data["session"]
        if session.get("type") == "realtime" or "audio" in session:
            try:
                data["session"] = ga_session_to_beta(session)
            except WireError:
                data["session"] = {k: v for k, v in session.items() if k != "audio"}
        # a service reports its own settings (formats, tools...): keep what we model, not its exact enums
        for name in ("input_audio_format", "output_audio_format", "modalities"):
            data["session"].pop(name, None)
    if data["type"] == "response.audio_transcript.done":
        data.setdefault("transcript", "")
    if isinstance(data.get("response"), dict) and isinstance(data["response"].get("output"), list):
        data["response"]["output"] = _message_items(data["response"]["output"])
    if data["type"] == "conversation.item.created" and isinstance(data.get("item"), dict):
        items = _message_items([data["item"]])
        if not items:
            return None  # a tool call or other item we don't model
        data["item"] = items[0]
    try:
        return SERVER_EVENT_ADAPTER.validate_python(data)
    except ValidationError as exc:
        tag_errors = [e for e in exc.errors() if e["type"] == "union_tag_invalid"]
        if tag_errors:
            return None  # an event type we don't model (rate_limits.updated, output_item.added, ...)
        where, why = _first_error_location(exc)
        raise WireError(f"service sent an invalid {data['type']} event: {where}: {why}", code="invalid_event") from None
