"""The common part of the fake hosted realtime services: a real `websockets` server on 127.0.0.1 with
a server VAD, replies streamed faster than real time, and a record of every message both ways.

Each service (fake_openai.py, fake_stepfun.py) supplies what its documentation fixes: the event names
and shapes it sends, which client shapes it refuses and with which error. The VAD is an energy gate
(any 100 ms chunk with a peak above SPEECH_PEAK is speech), enough to drive the documented event flow
with synthetic tones; the "transcript" of the caller is the duration the fake heard, so a test can
tell that audio arrived at the service's rate.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import math
from dataclasses import dataclass, field
from itertools import count
from typing import Any

import numpy as np
from websockets.asyncio.server import Server, ServerConnection, serve

RATE = 24_000
SPEECH_PEAK = 1_000
REPLY_TEXT = "Hello from the fake service."


def tone(ms: int, *, freq: float = 440.0, peak: int = 8_000) -> np.ndarray:
    t = np.arange(RATE * ms // 1000) / RATE
    return (np.sin(2 * math.pi * freq * t) * peak).astype(np.int16)


def silence(ms: int) -> np.ndarray:
    return np.zeros(RATE * ms // 1000, dtype=np.int16)


def chunks_b64(samples: np.ndarray, chunk_ms: int = 100) -> list[str]:
    step = RATE * chunk_ms // 1000
    return [
        base64.b64encode(samples[i : i + step].astype("<i2").tobytes()).decode() for i in range(0, samples.size, step)
    ]


@dataclass
class Reply:
    response_id: str
    item_id: str
    audio_ms: int = 0
    done: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Connection:
    """One client's session on the fake: its config, its input buffer and the reply in progress."""

    ws: ServerConnection
    session: dict[str, Any]
    buffered_samples: int = 0  # audio appended since the last commit
    position_samples: int = 0  # all audio appended, for audio_start_ms / audio_end_ms
    speech_item: str | None = None
    speech_start: int = 0
    silence_samples: int = 0
    last_item: str | None = None
    reply: Reply | None = None
    assistant_audio_ms: dict[str, int] = field(default_factory=dict)
    tasks: set[asyncio.Task] = field(default_factory=set)


class FakeRealtimeService:
    """Subclasses set the event names and implement `refusal_on_connect`, `check`, `session_created`..."""

    audio_delta = "response.audio.delta"
    audio_done = "response.audio.done"
    transcript_delta = "response.audio_transcript.delta"
    transcript_done = "response.audio_transcript.done"
    transcription_extra: dict[str, Any] = {}  # what a service adds to the caller's transcript event

    def __init__(self, *, reply_ms: int = 1_000, hold_replies: bool = False) -> None:
        self.reply_ms = reply_ms
        self.hold_replies = hold_replies  # replies wait for a cancel (a barge-in) instead of finishing
        self.received: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        self.requests: list[Any] = []  # the handshake requests (path, headers)
        self._ids = count(1)
        self._server: Server | None = None
        self.url = ""

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> FakeRealtimeService:
        self._server = await serve(self._handle, "127.0.0.1", 0, max_size=None)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}/v1/realtime"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):04d}"

    def errors_sent(self) -> list[dict[str, Any]]:
        return [e for e in self.sent if e["type"] == "error"]

    def received_of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.received if e.get("type") == kind]

    async def wait_for(self, predicate: Any, timeout_s: float = 10.0) -> None:
        async def poll() -> None:
            while not predicate():
                await asyncio.sleep(0.01)

        await asyncio.wait_for(poll(), timeout_s)

    # ------------------------------------------------------------------ the socket

    async def emit(self, conn: Connection, event: dict[str, Any]) -> None:
        event = {"event_id": self.new_id("event"), **event}
        self.validate_sent(event)
        self.sent.append(event)
        with contextlib.suppress(Exception):
            await conn.ws.send(json.dumps(event))

    async def error(self, conn: Connection, code: str, message: str, *, param: str | None, cause: dict) -> None:
        error = {"type": "invalid_request_error", "code": code, "message": message, "param": param}
        if cause.get("event_id"):
            error["event_id"] = cause["event_id"]  # which client event caused it (both services document this)
        await self.emit(conn, {"type": "error", "error": error})

    async def _handle(self, ws: ServerConnection) -> None:
        self.requests.append(ws.request)
        refusal = self.refusal_on_connect(ws)
        conn = Connection(ws=ws, session=self.initial_session())
        if refusal is not None:
            code, message, close_code, close_reason = refusal
            await self.error(conn, code, message, param=None, cause={})
            await ws.close(close_code, close_reason)
            return
        await self.emit(conn, {"type": "session.created", "session": self.session_view(conn)})
        try:
            async for message in ws:
                data = json.loads(message)
                self.received.append(data)
                await self._dispatch(conn, data)
        finally:
            for task in conn.tasks:
                task.cancel()

    async def _dispatch(self, conn: Connection, data: dict[str, Any]) -> None:
        problem = self.check(data)
        if problem is not None:
            code, message, param = problem
            await self.error(conn, code, message, param=param, cause=data)
            return
        kind = data["type"]
        if kind == "session.update":
            self.apply_session(conn, data["session"])
            await self.emit(conn, {"type": "session.updated", "session": self.session_view(conn)})
        elif kind == "input_audio_buffer.append":
            await self._vad(conn, np.frombuffer(base64.b64decode(data["audio"]), dtype="<i2"))
        elif kind == "input_audio_buffer.commit":
            if conn.buffered_samples == 0:
                await self.error(conn, *self.empty_commit_error(), param=None, cause=data)
                return
            await self._commit(conn, conn.speech_item or self.new_id("item"))
        elif kind == "input_audio_buffer.clear":
            conn.buffered_samples = 0
            await self.emit(conn, {"type": "input_audio_buffer.cleared"})
        elif kind == "conversation.item.create":
            item = {"id": self.new_id("item"), "object": "realtime.item", "status": "completed", **data["item"]}
            await self.emit(conn, {"type": self.item_added, "previous_item_id": conn.last_item, "item": item})
            conn.last_item = item["id"]
        elif kind == "response.create":
            self._start_reply(conn)
        elif kind == "response.cancel":
            if conn.reply is None:
                await self.error(conn, *self.cancel_not_active_error(), param=None, cause=data)
                return
            await self.cancel_reply(conn, reason="client_cancelled")
        else:
            await self.handle_other(conn, data)

    # ------------------------------------------------------------------ server VAD and turns

    def turn_detection(self, conn: Connection) -> dict[str, Any] | None:
        return conn.session.get("turn_detection")

    async def _vad(self, conn: Connection, samples: np.ndarray) -> None:
        conn.buffered_samples += samples.size
        conn.position_samples += samples.size
        turn = self.turn_detection(conn)
        if turn is None:
            return
        voiced = samples.size and int(np.abs(samples.astype(np.int32)).max()) > SPEECH_PEAK
        if voiced and conn.speech_item is None:
            conn.speech_start = conn.position_samples - samples.size
            conn.speech_item, conn.silence_samples = self.new_id("item"), 0
            start_ms = conn.speech_start * 1000 // RATE
            await self.emit(
                conn,
                {"type": "input_audio_buffer.speech_started", "audio_start_ms": start_ms, "item_id": conn.speech_item},
            )
            if conn.reply is not None:
                await self.on_speech_during_reply(conn, turn)
        elif voiced:
            conn.silence_samples = 0
        elif conn.speech_item is not None:
            conn.silence_samples += samples.size
            if conn.silence_samples * 1000 // RATE >= turn.get("silence_duration_ms", self.default_silence_ms):
                item, heard_ms = conn.speech_item, (conn.position_samples - conn.silence_samples - conn.speech_start)
                end_ms = (conn.position_samples - conn.silence_samples) * 1000 // RATE
                conn.speech_item = None
                await self.emit(
                    conn, {"type": "input_audio_buffer.speech_stopped", "audio_end_ms": end_ms, "item_id": item}
                )
                await self._commit(conn, item, heard_ms=heard_ms * 1000 // RATE)
                if turn.get("create_response", True):
                    self._start_reply(conn)

    def transcription_completed(self, item: str, transcript: str) -> dict[str, Any]:
        event = {"type": "conversation.item.input_audio_transcription.completed", "item_id": item}
        return {**event, "content_index": 0, "transcript": transcript, **self.transcription_extra}

    async def _commit(self, conn: Connection, item: str, heard_ms: int | None = None) -> None:
        heard_ms = conn.buffered_samples * 1000 // RATE if heard_ms is None else heard_ms
        conn.buffered_samples = 0
        await self.emit(
            conn, {"type": "input_audio_buffer.committed", "previous_item_id": conn.last_item, "item_id": item}
        )
        conn.last_item = item
        await self.emit(conn, self.transcription_completed(item, f"heard {heard_ms} ms of speech"))

    # ------------------------------------------------------------------ replies

    def _start_reply(self, conn: Connection) -> None:
        reply = Reply(response_id=self.new_id("resp"), item_id=self.new_id("item"))
        conn.reply = reply
        task = asyncio.create_task(self._stream_reply(conn, reply))
        conn.tasks.add(task)
        task.add_done_callback(conn.tasks.discard)

    async def _stream_reply(self, conn: Connection, reply: Reply) -> None:
        await self.emit(conn, {"type": "response.created", "response": self.response(reply, "in_progress")})
        await self.reply_started(conn, reply)
        words = REPLY_TEXT.split(" ")
        for i, word in enumerate(words):
            delta = word if i == len(words) - 1 else word + " "
            await self.emit(conn, self.part(self.transcript_delta, reply, delta=delta))
        for chunk in chunks_b64(tone(self.reply_ms, freq=330.0)):
            await self.emit(conn, self.part(self.audio_delta, reply, delta=chunk))
        reply.audio_ms = self.reply_ms
        conn.assistant_audio_ms[reply.item_id] = self.reply_ms
        if self.hold_replies:
            await reply.done.wait()  # until a barge-in cancels or finishes it
            return
        await self.finish_reply(conn)

    async def finish_reply(self, conn: Connection) -> None:
        reply, conn.reply = conn.reply, None
        assert reply is not None
        reply.done.set()
        await self.emit(conn, self.part(self.audio_done, reply))
        await self.emit(conn, self.part(self.transcript_done, reply, transcript=REPLY_TEXT))
        conn.last_item = reply.item_id
        await self.emit(conn, {"type": "response.done", "response": self.response(reply, "completed")})

    async def cancel_reply(self, conn: Connection, *, reason: str) -> None:
        reply, conn.reply = conn.reply, None
        assert reply is not None
        reply.done.set()
        details = {"type": "cancelled", "reason": reason}
        await self.emit(conn, {"type": "response.done", "response": self.response(reply, "cancelled", details)})
