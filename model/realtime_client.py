"""A realtime WebSocket service as an Engine: StepAudio 2.5 Realtime, gpt-realtime, or our own /v1/realtime.

The remote service does everything (VAD, turns, speech); a session here is a thin, typed pipe:
client events -> JSON on the socket, JSON from the socket -> server events. What it adds:
- connection faults become one clear `error` event (bad key, rate limit, dropped connection) and a
  closed session, never an exception in the middle of a conversation;
- 16 kHz callers are resampled to the services' 24 kHz both ways;
- our own session fields are only sent where they are understood (see model/stepfun.py presets).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from urllib.parse import urlencode, urlsplit, urlunsplit

import numpy as np
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from model.events import (
    DEFAULT_SAMPLE_RATE,
    ClientEvent,
    InputAudioBufferAppend,
    ResponseAudioDelta,
    ServerEvent,
    SessionConfig,
    SessionUpdate,
    decode_pcm16,
    encode_pcm16,
    error_event,
)
from model.internal_errors import internal_error_event
from model.protocol import Availability, VoiceInfo
from model.realtime_wire import WireError, client_event_json, parse_server_message
from model.stepfun import RealtimeService

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10.0
FIRST_EVENT_TIMEOUT_S = 10.0
_END = object()  # sentinel closing the event queue
_AUTH_CODES = frozenset({"missing_token", "invalid_token", "invalid_api_key", "unauthorized", "authentication_error"})


class RealtimeConnectError(RuntimeError):
    """The service could not be reached or refused us; the message says why and what to change."""


def _with_model(url: str, model: str) -> str:
    if not model:
        return url
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode({"model": model})) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


class _StreamResampler:
    """pcm16 rate conversion for a stream of chunks: one soxr stream, so chunk edges don't click."""

    def __init__(self, src_rate: int, dst_rate: int) -> None:
        import soxr  # only sessions that convert rates need it

        self.rates = (src_rate, dst_rate)
        self._stream = soxr.ResampleStream(src_rate, dst_rate, 1, dtype="int16", quality="HQ")

    def process(self, samples: np.ndarray) -> np.ndarray:
        return self._stream.resample_chunk(np.ascontiguousarray(samples, dtype=np.int16))


def _describe_status(service: RealtimeService, status: int) -> str:
    if status in (401, 403):
        return f"{service.title} refused the API key (HTTP {status}): check {service.key_setting}"
    if status == 429:
        return f"{service.title} is rate limiting this key (HTTP 429): wait a minute or raise the key's limits"
    if status == 404:
        return f"{service.url} has no realtime endpoint (HTTP 404): check the URL setting"
    return f"{service.title} refused the connection (HTTP {status})"


class RealtimeClientSession:
    """One conversation on a realtime WebSocket service. Built by RealtimeClientEngine.open_session."""

    def __init__(self, service: RealtimeService, socket: ClientConnection, config: SessionConfig) -> None:
        self._service = service
        self._socket = socket
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
                    event = parse_server_message(message)
                except WireError as exc:
                    log.warning("%s: %s", self._service.engine_name, exc)
                    continue
                if event is None:
                    continue
                if isinstance(event, ResponseAudioDelta) and self._output_rate != DEFAULT_SAMPLE_RATE:
                    if not self._wire_rates_are_ours():
                        resampler = self._resampler("from_service", DEFAULT_SAMPLE_RATE, self._output_rate)
                        samples = resampler.process(decode_pcm16(event.delta))
                        event = event.model_copy(update={"delta": encode_pcm16(samples)})
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
        if (
            isinstance(event, InputAudioBufferAppend)
            and self._input_rate != DEFAULT_SAMPLE_RATE
            and not self._wire_rates_are_ours()
        ):
            try:
                resampler = self._resampler("to_service", self._input_rate, DEFAULT_SAMPLE_RATE)
                samples = resampler.process(decode_pcm16(event.audio))
            except ValueError as exc:
                await self._queue.put(error_event(f"invalid audio: {exc}", code="invalid_audio", param="audio"))
                return
            event = event.model_copy(update={"audio": encode_pcm16(samples)})
        if isinstance(event, SessionUpdate):
            self._input_rate = event.session.input_sample_rate or self._input_rate
            self._output_rate = event.session.output_sample_rate or self._output_rate
        text = client_event_json(event, extensions=self._service.send_extensions, voices=self._service.voice_ids)
        try:
            await self._socket.send(text)
        except ConnectionClosed:
            # the reader sees the same close and reports it once; nothing more to say here
            log.debug("%s: send after the connection closed", self._service.engine_name)

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
    """An Engine backed by a realtime WebSocket service (see model/stepfun.py for the presets)."""

    def __init__(self, service: RealtimeService) -> None:
        self.service = service
        self.name = service.engine_name

    def availability(self) -> Availability:
        if self.service.requires_key and not self.service.api_key:
            return Availability(False, f"no API key: set {self.service.key_setting} to use {self.service.title}")
        return Availability(True)

    def voices(self) -> list[VoiceInfo]:
        return list(self.service.voices)

    async def _connect(self) -> ClientConnection:
        service = self.service
        headers = dict(service.extra_headers)
        if service.api_key:
            headers["Authorization"] = f"Bearer {service.api_key}"
        url = _with_model(service.url, service.model)
        try:
            return await connect(
                url, additional_headers=headers, open_timeout=CONNECT_TIMEOUT_S, max_size=None, compression=None
            )
        except InvalidStatus as exc:
            raise RealtimeConnectError(_describe_status(service, exc.response.status_code)) from None
        except (OSError, TimeoutError, InvalidHandshake) as exc:
            raise RealtimeConnectError(
                f"could not connect to {service.title} at {service.url} ({type(exc).__name__}: {exc}): "
                "check the URL and the network"
            ) from None

    async def open_session(self, config: SessionConfig) -> RealtimeClientSession:
        """Connect, wait for the service's `session.created`, then apply `config` with `session.update`.

        Raises RealtimeConnectError (with the reason and the fix) when the service can't be used.
        """
        availability = self.availability()
        if not availability.usable:
            raise RealtimeConnectError(availability.reason)
        socket = await self._connect()
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
        config = self.fit_config(config)
        await session.send(SessionUpdate(session=config))
        return session

    def fit_config(self, config: SessionConfig) -> SessionConfig:
        """The session config as this service can take it: its own voice and transcription model."""
        update: dict[str, object] = {}
        voice_ids = self.service.voice_ids
        if voice_ids and config.voice not in voice_ids and self.service.default_voice:
            # persona voices are the embedded engine's; a hosted service speaks with its own default
            update["voice"] = self.service.default_voice
        if config.input_audio_transcription is not None and not self.service.send_extensions:
            # our engines accept any model name here; a hosted service only its own (or none at all)
            model = self.service.transcription_model
            update["input_audio_transcription"] = (
                config.input_audio_transcription.model_copy(update={"model": model}) if model else None
            )
        return config.model_copy(update=update) if update else config
