"""A realtime WebSocket service as an Engine: StepAudio 2.5 Realtime, gpt-realtime, or our own /v1/realtime.

The remote service does everything (VAD, turns, speech); a session here is a thin, typed pipe:
client events -> the service's dialect on the socket, JSON from the socket -> server events. What it adds:
- connection faults become one clear `error` event (bad key, rate limit, dropped connection) and a
  closed session, never an exception in the middle of a conversation;
- 16 kHz callers are resampled to the services' 24 kHz both ways;
- each service gets the shapes it documents (model/realtime/dialect.py and the dialect modules);
- after a barge-in the service is told what the user heard (truncate) or to stop (cancel).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator

import numpy as np
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from model.events import (
    DEFAULT_SAMPLE_RATE,
    ClientEvent,
    ConversationItemTruncate,
    ErrorEvent,
    InputAudioBufferAppend,
    ResponseAudioDelta,
    ResponseCancel,
    ResponseCreated,
    ResponseDone,
    ServerEvent,
    SessionConfig,
    SessionUpdate,
    SpeechStarted,
    error_event,
)
from model.internal_errors import internal_error_event
from model.pcm16 import as_pcm16
from model.protocol import Availability, VoiceInfo
from model.realtime.connect import RealtimeConnectError, connect_service
from model.realtime.dialect import Dialect, ReplyAudio, fit_config
from model.realtime.openai_dialect import OpenAIGADialect
from model.realtime.presets import RealtimeService
from model.realtime.stepfun_dialect import StepFunDialect
from model.realtime.wire import WireError, parse_server_message

log = logging.getLogger(__name__)

FIRST_EVENT_TIMEOUT_S = 10.0
_END = object()  # sentinel closing the event queue
_AUTH_CODES = frozenset({"missing_token", "invalid_token", "invalid_api_key", "unauthorized", "authentication_error"})
_DIALECTS: dict[str, type[Dialect]] = {"beta": Dialect, "stepfun": StepFunDialect, "openai-ga": OpenAIGADialect}


class _StreamResampler:
    """pcm16 rate conversion for a stream of chunks: one soxr stream, so chunk edges don't click."""

    def __init__(self, src_rate: int, dst_rate: int) -> None:
        import soxr  # only sessions that convert rates need it

        self.rates = (src_rate, dst_rate)
        self._stream = soxr.ResampleStream(src_rate, dst_rate, 1, dtype="int16", quality="HQ")

    def process(self, samples: np.ndarray) -> np.ndarray:
        return self._stream.resample_chunk(np.ascontiguousarray(samples, dtype=np.int16))


class RealtimeClientSession:
    """One conversation on a realtime WebSocket service. Built by RealtimeClientEngine.open_session."""

    def __init__(self, service: RealtimeService, socket: ClientConnection, config: SessionConfig) -> None:
        self._service = service
        self._socket = socket
        self._dialect = _DIALECTS[service.dialect](service)
        self._reply: ReplyAudio | None = None  # the reply playing now, for barge-in
        self._may_interrupt = config.turn_detection is None or config.turn_detection.interrupt_response
        self._own_event_ids: set[str] = set()  # housekeeping events this session sent on its own
        self._queue: asyncio.Queue[object] = asyncio.Queue()
        self._closing = False
        self._closed = False
        # the caller's rates; the services themselves always speak 24 kHz
        self._input_rate = config.input_sample_rate or DEFAULT_SAMPLE_RATE
        self._output_rate = config.output_sample_rate or DEFAULT_SAMPLE_RATE
        self._to_service: _StreamResampler | None = None
        self._from_service: _StreamResampler | None = None
        self._reader = asyncio.create_task(self._read(), name=f"{service.engine_name}-reader")

    @property
    def closed(self) -> bool:
        return self._closed

    def _resampler(self, direction: str, src_rate: int, dst_rate: int) -> _StreamResampler:
        attribute = f"_{direction}"
        current: _StreamResampler | None = getattr(self, attribute)
        if current is None or current.rates != (src_rate, dst_rate):
            current = _StreamResampler(src_rate, dst_rate)
            setattr(self, attribute, current)
        return current

    def _wire_rates_are_ours(self) -> bool:
        # our own endpoint honours the sample-rate extension itself: no conversion on this side
        return self._service.send_extensions

    async def _read(self) -> None:
        try:
            async for message in self._socket:
                try:
                    replying = self._reply.response_id if self._reply else None
                    event = parse_server_message(message, response_id=replying)
                except WireError as exc:
                    log.warning("%s: %s", self._service.engine_name, exc)
                    continue
                if event is None or not await self._track_reply(event):
                    continue
                if isinstance(event, ResponseAudioDelta) and self._output_rate != DEFAULT_SAMPLE_RATE:
                    if not self._wire_rates_are_ours():
                        resampler = self._resampler("from_service", DEFAULT_SAMPLE_RATE, self._output_rate)
                        event = event.model_copy(update={"delta": as_pcm16(resampler.process(event.delta))})
                await self._queue.put(event)
        except ConnectionClosed as exc:
            if not self._closing:
                await self._queue.put(self._lost_event(exc))
        except Exception:  # noqa: BLE001 - any failure here must end the session cleanly
            if not self._closing:
                failed = internal_error_event(log, f"{self._service.title} session failed", code="session_failed")
                await self._queue.put(failed)
        else:  # the service closed cleanly (e.g. its session time limit): still not our choice
            if not self._closing:
                await self._queue.put(self._lost_event(None))
        finally:
            self._closed = True
            await self._queue.put(_END)

    async def _track_reply(self, event: ServerEvent) -> bool:
        """Follow the reply's audio, tell the service about a barge-in; False drops the event."""
        if isinstance(event, ResponseCreated):
            self._reply = ReplyAudio(response_id=event.response.id)
        elif isinstance(event, ResponseAudioDelta) and self._reply and event.response_id == self._reply.response_id:
            self._reply.add_audio(event.item_id, event.content_index, event.delta)
        elif isinstance(event, ResponseDone) and self._reply and event.response.id == self._reply.response_id:
            self._reply.in_progress = False
        elif isinstance(event, SpeechStarted) and self._may_interrupt:
            await self._send_own(self._dialect.on_speech_started(self._reply))
            self._reply = None
        elif isinstance(event, ErrorEvent) and event.error.event_id in self._own_event_ids:
            # e.g. a cancel that crossed the reply's end: our own bookkeeping, not the caller's problem
            log.info("%s: %s (after our %s)", self._service.engine_name, event.error.message, event.error.event_id)
            return False
        return True

    async def _send_own(self, events: list[dict]) -> None:
        for data in events:
            if len(self._own_event_ids) > 64:  # a bounded memory of what we sent ourselves
                self._own_event_ids.clear()
            self._own_event_ids.add(data["event_id"])
            await self._send_json(data)

    async def _send_json(self, data: dict) -> None:
        try:
            await self._socket.send(json.dumps(data, ensure_ascii=False, separators=(",", ":")))
        except ConnectionClosed:
            # the reader sees the same close and reports it once; nothing more to say here
            log.debug("%s: send after the connection closed", self._service.engine_name)

    def _lost_event(self, exc: ConnectionClosed | None) -> ServerEvent:
        code, reason = self._socket.close_code, self._socket.close_reason
        if exc is not None and exc.rcvd is None:
            detail = " (no close frame: network drop)"
        elif code is not None:
            detail = f" (close code {code}{': ' + reason if reason else ''})"
        else:
            detail = ""
        return error_event(
            f"the connection to {self._service.title} was lost mid-conversation{detail}; "
            "start a new conversation to reconnect",
            code="connection_lost",
        )

    async def send(self, event: ClientEvent) -> None:
        if self._closed or self._closing:
            await self._queue.put(
                error_event(
                    f"this {self._service.title} session is closed: start a new conversation", code="session_closed"
                )
            )
            await self._queue.put(_END)  # whoever reads it is not left waiting on a closed session
            return
        if isinstance(event, ConversationItemTruncate):
            return  # this session tells the service what was heard itself, after a barge-in (see the dialects)
        if (
            isinstance(event, InputAudioBufferAppend)
            and self._input_rate != DEFAULT_SAMPLE_RATE
            and not self._wire_rates_are_ours()
        ):
            resampler = self._resampler("to_service", self._input_rate, DEFAULT_SAMPLE_RATE)
            event = event.model_copy(update={"audio": as_pcm16(resampler.process(event.audio))})
        if isinstance(event, SessionUpdate):
            self._input_rate = event.session.input_sample_rate or self._input_rate
            self._output_rate = event.session.output_sample_rate or self._output_rate
            if event.session.turn_detection is not None:
                self._may_interrupt = event.session.turn_detection.interrupt_response
            event = event.model_copy(update={"session": fit_config(self._service, event.session)})
        data = self._dialect.encode(event)
        if data is not None:
            await self._send_json(data)
        if isinstance(event, ResponseCancel):
            await self._send_own(self._dialect.on_cancel(self._reply))
            self._reply = None

    async def first_event(self, timeout_s: float) -> ServerEvent | None:
        """Wait for the service's first event and leave it first in line; None if the socket closed."""
        first = await asyncio.wait_for(self._queue.get(), timeout=timeout_s)
        rest = []
        while not self._queue.empty():
            rest.append(self._queue.get_nowait())
        for item in (first, *rest):
            self._queue.put_nowait(item)
        return None if first is _END else first  # type: ignore[return-value]

    async def events(self) -> AsyncIterator[ServerEvent]:
        while True:
            item = await self._queue.get()
            if item is _END:
                return
            yield item  # type: ignore[misc]

    async def close(self) -> None:
        if self._closing:
            return
        self._closing = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._socket.close(), timeout=2.0)
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._reader
        self._closed = True
        await self._queue.put(_END)


class RealtimeClientEngine:
    """An Engine backed by a realtime WebSocket service (see model/realtime/presets.py for the presets)."""

    def __init__(self, service: RealtimeService) -> None:
        self.service = service
        self.name = service.engine_name

    def availability(self) -> Availability:
        if self.service.requires_key and not self.service.api_key:
            return Availability(False, f"no API key: set {self.service.key_setting} to use {self.service.title}")
        return Availability(True)

    def voices(self) -> list[VoiceInfo]:
        return list(self.service.voices)

    async def open_session(self, config: SessionConfig) -> RealtimeClientSession:
        """Connect, wait for the service's `session.created`, then apply `config` with `session.update`.

        Raises RealtimeConnectError (with the reason and the fix) when the service can't be used.
        """
        availability = self.availability()
        if not availability.usable:
            raise RealtimeConnectError(availability.reason)
        socket = await connect_service(self.service, _DIALECTS[self.service.dialect](self.service).headers())
        session = RealtimeClientSession(self.service, socket, config)
        # the first event tells: a service that refuses the session (bad key, model, limits) says so here
        try:
            first = await session.first_event(FIRST_EVENT_TIMEOUT_S)
        except TimeoutError:
            await session.close()
            raise RealtimeConnectError(
                f"{self.service.title} did not start a session within {FIRST_EVENT_TIMEOUT_S:.0f} s"
            ) from None
        if first is None or first.type == "error":
            await session.close()
            error = getattr(first, "error", None)
            message = getattr(error, "message", "the connection closed at once")
            hint = f" (check {self.service.key_setting})" if getattr(error, "code", None) in _AUTH_CODES else ""
            raise RealtimeConnectError(f"{self.service.title} refused the session: {message}{hint}")
        await session.send(SessionUpdate(session=config))  # fitted to the service on the way out
        return session

    def fit_config(self, config: SessionConfig) -> SessionConfig:
        """The session config as this service can take it: its own voice and transcription model."""
        return fit_config(self.service, config)
