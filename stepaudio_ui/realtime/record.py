"""Records a /v1/realtime conversation like a Live-panel one: versions, engine, turns and both sides' audio.

It watches the events going both ways and hands them to the Live panel's `ConversationRecorder`, so a
conversation held through the endpoint shows up in the history with the persona and scene versions
(or none: a plain assistant the client instructs) and the engine it ran on. Recording is best effort:
a failure is logged, the conversation goes on.

Nothing is recorded until the conversation has content: appended audio that is not near-silent, a typed
item, or a reply. A client that connects and idles (or only sends `session.update`) leaves no row and no
files; the quiet audio just before the first sound is kept (a short, bounded pre-roll).

Audio is written by a worker thread, in order, never on the event loop that serves every socket; a
conversation records at most `realtime_max_recording_bytes` of audio (both sides), then only its text.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np

from model.events import (
    DEFAULT_SAMPLE_RATE,
    ClientEvent,
    ConversationItemCreate,
    InputAudioBufferAppend,
    InputTranscriptionCompleted,
    ResponseAudioDelta,
    ResponseAudioTranscriptDelta,
    ResponseDone,
    ServerEvent,
    SessionUpdate,
)

log = logging.getLogger(__name__)

MAX_PENDING_AUDIO_BYTES = 8_000_000  # audio waiting for the disk; past it (a stalled disk) chunks are dropped
# Appended audio counts as content from this RMS level: -45 dBFS, above a microphone's idle noise floor
# (about -60 dBFS) and below quiet speech (about -35 dBFS).
CONTENT_RMS = 32_768 * 10 ** (-45 / 20)
PRE_ROLL_S = 0.5  # quiet audio kept from before the first sound, so a soft onset is in the recording


def has_sound(samples: np.ndarray) -> bool:
    """True when a chunk of int16 audio is louder than near-silence (see CONTENT_RMS)."""
    if not samples.size:
        return False
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) > CONTENT_RMS


class AudioWriter:
    """Writes audio chunks in order on a worker thread, at most `cap` bytes in all (then it stops, once said)."""

    def __init__(self, conversation_id: int, cap: int) -> None:
        self.conversation_id = conversation_id
        self.cap = cap
        self.accepted = 0
        self.capped = False
        self._pending = 0
        self._queue: asyncio.Queue[tuple[Callable[[np.ndarray], None], np.ndarray] | None] = asyncio.Queue()
        self._task = asyncio.create_task(self._write_all(), name=f"recording-{conversation_id}")

    def add(self, write: Callable[[np.ndarray], None], samples: np.ndarray) -> None:
        size = samples.nbytes
        if self.capped or self.accepted + size > self.cap:
            if not self.capped:
                self.capped = True
                log.info(
                    "conversation %s: %d bytes of audio recorded, the cap (STEPAUDIO_REALTIME_MAX_RECORDING_BYTES); "
                    "its audio is no longer recorded, its text still is", self.conversation_id, self.accepted,
                )  # fmt: skip
            return
        if self._pending + size > MAX_PENDING_AUDIO_BYTES:
            log.warning("conversation %s: the disk is behind; an audio chunk was not recorded", self.conversation_id)
            return
        self.accepted += size
        self._pending += size
        self._queue.put_nowait((write, samples))

    async def _write_all(self) -> None:
        while (item := await self._queue.get()) is not None:
            write, samples = item
            try:
                await asyncio.to_thread(write, samples)
            except Exception:  # noqa: BLE001 - a lost chunk must not end the recording or the conversation
                log.exception("conversation %s: writing audio failed", self.conversation_id)
            finally:
                self._pending -= samples.nbytes

    async def close(self) -> None:
        """Write what is queued, then stop."""
        self._queue.put_nowait(None)
        await self._task


class RealtimeRecording:
    """Feeds one connection's events to a ConversationRecorder (stepaudio_ui.live.session), created on the
    first content: until then nothing is written, not even the conversation's row."""

    def __init__(self, ctx: Any, subject: Any, rates: tuple[int, int]) -> None:
        self.ctx = ctx
        self.subject = subject  # live_session.ConversationSubject
        self.recorder: Any = None  # live_session.ConversationRecorder, once started
        self.audio: AudioWriter | None = None
        self._starting: asyncio.Task[None] | None = None
        self._rates = rates  # the session's (input, output) rates, as session.update changes them
        # the WAV files are opened at the rates of the moment recording starts; audio at another rate
        # is left out, not garbled
        self._wav_rates = rates
        self._pre_roll: deque[np.ndarray] = deque()
        self._pre_roll_samples = 0
        self._reply_text: list[str] = []

    @classmethod
    def for_target(cls, ctx: Any, target: Any, brain: dict[str, Any] | None = None) -> RealtimeRecording:
        """`target`: realtime_access.ResolvedTarget (its `resolved` is None without a persona)."""
        from stepaudio_ui.live.session import ConversationSubject

        resolved = target.resolved
        if resolved is not None:
            subject = ConversationSubject.of(resolved, brain)
        else:
            subject = ConversationSubject(None, None, None, None, engine=target.engine_name, brain=brain)
        config = target.config
        return cls(
            ctx,
            subject,
            (config.input_sample_rate or DEFAULT_SAMPLE_RATE, config.output_sample_rate or DEFAULT_SAMPLE_RATE),
        )

    @property
    def conversation_id(self) -> int | None:
        return self.recorder.conversation_id if self.recorder is not None else None

    async def _started(self) -> bool:
        """Start recording (once; concurrent callers share the start); False if it could not start."""
        if self.recorder is None:
            if self._starting is None:
                self._starting = asyncio.create_task(self._start(), name="recording-start")
            # shielded: a pump cancelled meanwhile must not leave a row without its recorder (finish waits)
            await asyncio.shield(self._starting)
        return self.recorder is not None

    async def _start(self) -> None:
        from stepaudio_ui.live.session import ConversationRecorder

        input_rate, output_rate = self._wav_rates = self._rates
        try:
            recorder = await ConversationRecorder.open(
                self.ctx.db, self.ctx.settings.data_dir, self.subject, input_rate=input_rate, output_rate=output_rate
            )
        except Exception:  # noqa: BLE001 - no record is better than no conversation
            log.exception("could not start recording a /v1/realtime conversation")
            return
        self.audio = AudioWriter(recorder.conversation_id, self.ctx.settings.realtime_max_recording_bytes)
        self.recorder = recorder
        log.info("/v1/realtime conversation %s is recorded", recorder.conversation_id)

    def _keep_pre_roll(self, samples: np.ndarray) -> None:
        self._pre_roll.append(samples)
        self._pre_roll_samples += len(samples)
        while self._pre_roll_samples > PRE_ROLL_S * self._rates[0] and len(self._pre_roll) > 1:
            self._pre_roll_samples -= len(self._pre_roll.popleft())

    def _take_pre_roll(self) -> list[np.ndarray]:
        chunks, self._pre_roll, self._pre_roll_samples = list(self._pre_roll), deque(), 0
        return chunks

    async def _user_audio(self, samples: np.ndarray) -> None:
        if self.recorder is None and not has_sound(samples):
            self._keep_pre_roll(samples)
            return
        if not await self._started() or self._rates[0] != self._wav_rates[0]:
            return
        assert self.audio is not None
        for chunk in self._take_pre_roll():
            self.audio.add(self.recorder.write_user_audio, chunk)
        self.audio.add(self.recorder.write_user_audio, samples)

    async def _turn(self, **turn: Any) -> None:
        if turn["text"].strip() and await self._started():
            await self.recorder.add_turn(**turn)

    async def client_event(self, event: ClientEvent) -> None:
        if isinstance(event, InputAudioBufferAppend):
            await self._user_audio(event.audio)
        elif isinstance(event, SessionUpdate):
            session = event.session
            rates = (session.input_sample_rate or self._rates[0], session.output_sample_rate or self._rates[1])
            if rates[0] != self._rates[0]:
                self._take_pre_roll()  # quiet audio at the old rate: not worth keeping
            self._rates = rates
        elif isinstance(event, ConversationItemCreate) and event.item.role == "user":
            await self._turn(role="user", text=" ".join(part.text or "" for part in event.item.content))

    async def server_event(self, event: ServerEvent) -> None:
        if isinstance(event, ResponseAudioDelta):
            if await self._started() and self._rates[1] == self._wav_rates[1]:
                assert self.audio is not None
                self.audio.add(self.recorder.write_persona_audio, event.delta)
        elif isinstance(event, ResponseAudioTranscriptDelta):
            self._reply_text.append(event.delta)
        elif isinstance(event, InputTranscriptionCompleted):
            await self._turn(role="user", text=event.transcript)
        elif isinstance(event, ResponseDone):
            text, self._reply_text = "".join(self._reply_text), []
            await self._turn(
                role="assistant",
                text=text,
                interrupted=event.response.status == "cancelled",
                timings=event.response.timings,
            )

    async def finish(self, reason: str) -> None:
        """Close what was recorded; a conversation that never had content leaves nothing behind."""
        if self._starting is not None:
            with contextlib.suppress(Exception):
                await self._starting
        if self.recorder is None:
            return
        assert self.audio is not None
        await self.audio.close()
        await self.recorder.finish(reason)
