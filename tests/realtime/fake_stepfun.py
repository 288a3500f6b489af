"""A fake of StepFun's realtime API (wss://api.stepfun.com/v1/realtime, model stepaudio-2.5-realtime).

Everything here follows StepFun's realtime reference (platform.stepfun.com/docs/zh/api-reference/
realtime/chat) and developer guide (platform.stepfun.com/docs/zh/guides/developer/realtime):
- client events: session.update, input_audio_buffer.append/commit/clear, conversation.item.create/
  delete, response.create, response.cancel. Anything else gets the guide's error for an unsupported
  type (code `invalid_value`, param `type`) and the session goes on;
- `session` fields: modalities (fixed ["text", "audio"]), instructions, voice, turn_detection
  (server_vad: prefix_padding_ms, silence_duration_ms, energy_awakeness_threshold),
  input_audio_format / output_audio_format (pcm16), tools. StepFun does not document how it refuses
  other fields; this fake refuses them (OpenAI's GA `type`, `audio`, `output_modalities` ...) with the
  reference's sample error shape (code `invalid_param`), so a client that sends them fails here;
- server events with the beta names, shaped like the reference's samples: `session.created` with
  `max_response_output_tokens` as a string, and `response.audio.delta` /
  `response.audio_transcript.delta` WITHOUT `response_id` (the samples leave it out);
- an empty commit is an error (the reference says so; its sample message "音频内容不完整");
  `response.cancel` ends the reply with `response.done` (always sent, whatever the status).
StepFun does not document cancelling a reply by itself on speech: the fake keeps generating until
the client sends `response.cancel`.
"""

from __future__ import annotations

from typing import Any

from tests.realtime.fake_service import Connection, FakeRealtimeService, Reply

CLIENT_EVENTS = (
    "session.update",
    "input_audio_buffer.append",
    "input_audio_buffer.commit",
    "input_audio_buffer.clear",
    "conversation.item.create",
    "conversation.item.delete",
    "response.create",
    "response.cancel",
)
SESSION_FIELDS = (
    "modalities",
    "instructions",
    "voice",
    "turn_detection",
    "input_audio_format",
    "output_audio_format",
    "tools",
)
TURN_DETECTION_FIELDS = ("type", "prefix_padding_ms", "silence_duration_ms", "energy_awakeness_threshold")


class FakeStepFunRealtime(FakeRealtimeService):
    item_added = "conversation.item.created"
    finish_on_speech = False
    default_silence_ms = 100  # the reference's default

    def refusal_on_connect(self, ws: Any) -> None:
        return None

    def validate_sent(self, event: dict[str, Any]) -> None:
        return None

    def initial_session(self) -> dict[str, Any]:
        return {
            "modalities": ["text", "audio"],
            "instructions": "你是由阶跃星辰提供的AI聊天助手。",
            "voice": "qingchunshaonv",
            "input_audio_format": "pcm16",
            "output_audio_format": "pcm16",
            "max_response_output_tokens": "4096",
        }

    def session_view(self, conn: Connection) -> dict[str, Any]:
        return {"id": "sess_001", "object": "realtime.session", "model": "stepaudio-2.5-realtime", **conn.session}

    def check(self, data: dict[str, Any]) -> tuple[str, str, str | None] | None:
        kind = data.get("type")
        if kind not in CLIENT_EVENTS:
            return "invalid_value", f"无效值: '{kind}'", "type"
        if kind != "session.update":
            return None
        session = data.get("session") or {}
        for name in session:
            if name not in SESSION_FIELDS:
                return "invalid_param", f"不支持的参数: session.{name}", f"session.{name}"
        if "modalities" in session and session["modalities"] != ["text", "audio"]:
            return "invalid_param", 'modalities 固定为 ["text", "audio"]', "session.modalities"
        for name in ("input_audio_format", "output_audio_format"):
            if name in session and session[name] != "pcm16":
                return "invalid_param", f"{name} 当前仅支持 pcm16", f"session.{name}"
        turn = session.get("turn_detection")
        if turn is not None:
            if turn.get("type") != "server_vad":
                return "invalid_param", "turn_detection.type 当前仅支持 server_vad", "session.turn_detection.type"
            extra = sorted(set(turn) - set(TURN_DETECTION_FIELDS))
            if extra:
                return "invalid_param", f"不支持的参数: turn_detection.{extra[0]}", f"session.turn_detection.{extra[0]}"
        return None

    def apply_session(self, conn: Connection, update: dict[str, Any]) -> None:
        conn.session.update(update)

    def empty_commit_error(self) -> tuple[str, str]:
        return "invalid_param", "音频内容不完整"

    def cancel_not_active_error(self) -> tuple[str, str]:
        return "invalid_param", "没有可取消的响应"

    def response(self, reply: Reply, status: str, details: dict | None = None) -> dict[str, Any]:
        done = status != "in_progress"
        content = [{"type": "text", "text": "Hello from the fake service."}]
        item = {"id": reply.item_id, "object": "realtime.item", "type": "message", "status": "completed"}
        item |= {"role": "assistant", "content": content}
        output = [item] if done else []
        return {
            "id": reply.response_id,
            "object": "realtime.response",
            "status": status,
            "status_details": details,
            "output": output,
        }

    async def reply_started(self, conn: Connection, reply: Reply) -> None:
        item = {"id": reply.item_id, "object": "realtime.item", "type": "message", "status": "in_progress"}
        item |= {"role": "assistant", "content": []}
        await self.emit(
            conn,
            {"type": "response.output_item.added", "response_id": reply.response_id, "output_index": 0, "item": item},
        )

    def part(self, kind: str, reply: Reply, **fields: Any) -> dict[str, Any]:
        if kind in (self.audio_delta, self.transcript_delta):
            # as in the reference's samples: no response_id, no content_index on the deltas
            return {"type": kind, "item_id": reply.item_id, "output_index": 0, **fields}
        return {"type": kind, "response_id": reply.response_id, "item_id": reply.item_id, "output_index": 0, **fields}

    async def on_speech_during_reply(self, conn: Connection, turn: dict[str, Any]) -> None:
        # Not documented: the client has to cancel. `finish_on_speech` plays the race where the reply
        # ends just as the caller starts talking, so the client's cancel finds nothing to cancel.
        if self.finish_on_speech:
            await self.finish_reply(conn)

    async def handle_other(self, conn: Connection, data: dict[str, Any]) -> None:
        if data["type"] == "conversation.item.delete":
            await self.emit(conn, {"type": "conversation.item.deleted", "item_id": data.get("item_id")})
