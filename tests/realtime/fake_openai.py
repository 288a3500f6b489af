"""A fake of OpenAI's GA Realtime API (wss://api.openai.com/v1/realtime), as documented and as reported.

Shapes: every event it sends validates against the `openai` SDK's GA types (`openai.types.realtime`,
generated from OpenAI's OpenAPI spec); every client event is checked against the SDK's client types,
and a field those types don't have is refused like the real API does it ("Unknown parameter:
'session.modalities'.", code `unknown_parameter`). Refusals of the retired beta dialect, as users
of the real service report them since the beta interface was removed:
- an `OpenAI-Beta: realtime=v1` header: an `error` event `beta_api_shape_disabled` ("The Realtime Beta
  API is no longer supported. Please use /v1/realtime for the GA API."), then close code 4000 with
  reason `invalid_request_error.beta_api_shape_disabled`;
- a flat (beta) `session.update`: `missing_required_parameter`, "Missing required parameter:
  'session.type'.", the connection stays open.
Barge-in: with `interrupt_response` the server cancels the reply itself when speech starts
(`response.done`, status cancelled, reason turn_detected); `conversation.item.truncate` answers
`conversation.item.truncated`, or an error when `audio_end_ms` is past the audio it sent.
"""

from __future__ import annotations

import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from openai.types.realtime.realtime_client_event import RealtimeClientEvent
from openai.types.realtime.realtime_server_event import RealtimeServerEvent
from pydantic import BaseModel, TypeAdapter, ValidationError

from tests.realtime.fake_service import Connection, FakeRealtimeService, Reply

_SERVER_EVENTS: TypeAdapter[Any] = TypeAdapter(RealtimeServerEvent)
_CLIENT_EVENTS: TypeAdapter[Any] = TypeAdapter(RealtimeClientEvent)
_CLIENT_CLASSES: dict[str, type[BaseModel]] = {
    get_args(cls.model_fields["type"].annotation)[0]: cls for cls in get_args(get_args(RealtimeClientEvent)[0])
}
PCM = {"type": "audio/pcm", "rate": 24_000}


def _unwrap(tp: Any) -> Any:
    return _unwrap(get_args(tp)[0]) if get_origin(tp) is Annotated else tp


def _members(tp: Any) -> list[Any]:
    """A union's members, nested unions (Optional[Annotated[Union[...]]]) flattened."""
    tp = _unwrap(tp)
    if get_origin(tp) in (Union, types.UnionType):
        return [m for arg in get_args(tp) for m in _members(arg)]
    return [tp]


def _literal_values(tp: Any) -> tuple[Any, ...]:
    tp = _unwrap(tp)
    if get_origin(tp) is Literal:
        return get_args(tp)
    if get_origin(tp) in (Union, types.UnionType):
        return tuple(v for arg in get_args(tp) for v in _literal_values(arg))
    return ()


def unknown_parameter(tp: Any, value: Any, path: str) -> str | None:
    """The first field in `value` that the SDK type `tp` does not have, as the API names it ("session.x")."""
    tp = _unwrap(tp)
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        models = [m for m in _members(tp) if isinstance(m, type) and issubclass(m, BaseModel)]
        lists = [m for m in _members(tp) if get_origin(m) is list]
        if isinstance(value, dict) and models:
            kind = value.get("type")
            match = [
                m
                for m in models
                if "type" in m.model_fields and kind in _literal_values(m.model_fields["type"].annotation)
            ]
            return unknown_parameter((match or models)[0], value, path)
        if isinstance(value, list) and lists:
            return unknown_parameter(lists[0], value, path)
        return None
    if origin is list and isinstance(value, list):
        return next(
            (p for i, v in enumerate(value) if (p := unknown_parameter(get_args(tp)[0], v, f"{path}[{i}]"))), None
        )
    if isinstance(tp, type) and issubclass(tp, BaseModel) and isinstance(value, dict):
        for key, inner in value.items():
            where = f"{path}.{key}" if path else key
            if key not in tp.model_fields:
                return where
            if found := unknown_parameter(tp.model_fields[key].annotation, inner, where):
                return found
    return None


class FakeOpenAIRealtime(FakeRealtimeService):
    audio_delta = "response.output_audio.delta"
    audio_done = "response.output_audio.done"
    transcript_delta = "response.output_audio_transcript.delta"
    transcript_done = "response.output_audio_transcript.done"
    item_added = "conversation.item.added"
    transcription_extra = {"usage": {"type": "duration", "seconds": 1.0}}  # required by the SDK's type
    default_silence_ms = 500

    def refusal_on_connect(self, ws: Any) -> tuple[str, str, int, str] | None:
        if ws.request.headers.get("OpenAI-Beta"):
            message = "The Realtime Beta API is no longer supported. Please use /v1/realtime for the GA API."
            return "beta_api_shape_disabled", message, 4000, "invalid_request_error.beta_api_shape_disabled"
        return None

    def validate_sent(self, event: dict[str, Any]) -> None:
        _SERVER_EVENTS.validate_python(event)  # the fake only says what OpenAI documents

    def initial_session(self) -> dict[str, Any]:
        turn = {"type": "server_vad", "threshold": 0.5, "prefix_padding_ms": 300, "silence_duration_ms": 500}
        turn |= {"create_response": True, "interrupt_response": True}
        return {
            "type": "realtime",
            "model": "gpt-realtime-2.1",
            "output_modalities": ["audio"],
            "instructions": "You are a helpful assistant.",
            "audio": {
                "input": {"format": dict(PCM), "transcription": None, "turn_detection": turn},
                "output": {"format": dict(PCM), "voice": "marin", "speed": 1.0},
            },
        }

    def session_view(self, conn: Connection) -> dict[str, Any]:
        return {"object": "realtime.session", "id": "sess_fake", **conn.session}

    def turn_detection(self, conn: Connection) -> dict[str, Any] | None:
        return conn.session["audio"]["input"].get("turn_detection")

    def check(self, data: dict[str, Any]) -> tuple[str, str, str | None] | None:
        kind = data.get("type")
        if kind not in _CLIENT_CLASSES:
            return (
                "invalid_value",
                f"Invalid value: '{kind}'. Supported values are: {', '.join(_CLIENT_CLASSES)}.",
                "type",
            )
        if kind == "session.update" and "type" not in data.get("session", {}):
            return "missing_required_parameter", "Missing required parameter: 'session.type'.", "session.type"
        if where := unknown_parameter(_CLIENT_CLASSES[kind], data, ""):
            return "unknown_parameter", f"Unknown parameter: '{where}'.", where
        try:
            _CLIENT_EVENTS.validate_python(data)
        except ValidationError as exc:
            where = ".".join(str(p) for p in exc.errors()[0]["loc"][1:])
            return "invalid_value", f"Invalid value at '{where}': {exc.errors()[0]['msg']}", where
        return None

    def apply_session(self, conn: Connection, update: dict[str, Any]) -> None:
        for key, value in update.items():
            if key != "audio":
                conn.session[key] = value
        for direction, fields in (update.get("audio") or {}).items():
            conn.session["audio"][direction].update(fields)

    def empty_commit_error(self) -> tuple[str, str]:
        return "input_audio_buffer_commit_empty", (
            "Error committing input audio buffer: buffer too small. "
            "Expected at least 100ms of audio, but buffer only has 0.00ms of audio."
        )

    def cancel_not_active_error(self) -> tuple[str, str]:
        return "response_cancel_not_active", "Cancellation failed: no active response found"

    def response(self, reply: Reply, status: str, details: dict | None = None) -> dict[str, Any]:
        done = status != "in_progress"
        content = [{"type": "output_audio", "transcript": "Hello from the fake service."}] if done else []
        item = {"id": reply.item_id, "type": "message", "role": "assistant", "status": "completed", "content": content}
        return {
            "id": reply.response_id,
            "object": "realtime.response",
            "status": status,
            "status_details": details,
            "output": [item] if done else [],
            "output_modalities": ["audio"],
        }

    async def reply_started(self, conn: Connection, reply: Reply) -> None:
        item = {"id": reply.item_id, "type": "message", "role": "assistant", "status": "in_progress", "content": []}
        await self.emit(
            conn,
            {"type": "response.output_item.added", "response_id": reply.response_id, "output_index": 0, "item": item},
        )
        await self.emit(conn, {"type": "conversation.item.added", "previous_item_id": conn.last_item, "item": item})

    def part(self, kind: str, reply: Reply, **fields: Any) -> dict[str, Any]:
        ids = {"response_id": reply.response_id, "item_id": reply.item_id, "output_index": 0, "content_index": 0}
        return {"type": kind, **ids, **fields}

    async def on_speech_during_reply(self, conn: Connection, turn: dict[str, Any]) -> None:
        if turn.get("interrupt_response", True):
            await self.cancel_reply(conn, reason="turn_detected")

    async def handle_other(self, conn: Connection, data: dict[str, Any]) -> None:
        if data["type"] != "conversation.item.truncate":
            return  # retrieve / delete / output_audio_buffer.clear: not used by the client under test
        sent_ms = conn.assistant_audio_ms.get(data["item_id"])
        if sent_ms is None:
            await self.error(
                conn, "item_not_found", f"Item '{data['item_id']}' not found.", param="item_id", cause=data
            )
        elif data["audio_end_ms"] > sent_ms:
            message = f"Audio content of {sent_ms}ms is already shorter than {data['audio_end_ms']}ms"
            await self.error(conn, "invalid_value", message, param="audio_end_ms", cause=data)
        else:
            fields = {k: data[k] for k in ("item_id", "content_index", "audio_end_ms")}
            await self.emit(conn, {"type": "conversation.item.truncated", **fields})
