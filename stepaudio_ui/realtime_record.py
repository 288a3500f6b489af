"""Records a /v1/realtime conversation like a Live-panel one: versions, engine, turns and both sides' audio.

It watches the events going both ways and hands them to the Live panel's `ConversationRecorder`, so a
conversation held through the endpoint shows up in the history with the persona and scene versions
and the engine it ran on. Recording is best effort: a failure is logged, the conversation goes on.

Audio is written by a worker thread, in order, never on the event loop that serves every socket; a
conversation records at most `realtime_max_recording_bytes` of audio (both sides), then only its text.
"""

from __future__ import annotations

import asyncio
import logging
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
    decode_pcm16,
)

log = logging.getLogger(__name__)

MAX_PENDING_AUDIO_BYTES = 8_000_000  # audio waiting for the disk; past it (a stalled disk) chunks are dropped


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
    """Feeds one connection's events to a ConversationRecorder (stepaudio_ui.live_session)."""

    def __init__(self, recorder: Any, max_audio_bytes: int) -> None:
        self.recorder = recorder
        self.conversation_id: int = recorder.conversation_id
        self.audio = AudioWriter(self.conversation_id, max_audio_bytes)
        # the WAV files are opened at the session's rates; audio at another rate is left out, not garbled
        self._wav_rates = (DEFAULT_SAMPLE_RATE, DEFAULT_SAMPLE_RATE)
        self._rates = self._wav_rates
        self._reply_text: list[str] = []

    @classmethod
    async def start(cls, ctx: Any, resolved: Any, brain: dict[str, Any] | None = None) -> RealtimeRecording | None:
        from stepaudio_ui.live_session import ConversationRecorder

        try:
            recorder = await ConversationRecorder.start(ctx.db, ctx.settings.data_dir, resolved, brain)
        except Exception:  # noqa: BLE001 - no record is better than no conversation
            log.exception("could not start recording a /v1/realtime conversation")
            return None
        recording = cls(recorder, ctx.settings.realtime_max_recording_bytes)
        config = resolved.config
        recording._wav_rates = (
            config.input_sample_rate or DEFAULT_SAMPLE_RATE,
            config.output_sample_rate or DEFAULT_SAMPLE_RATE,
        )
        recording._rates = recording._wav_rates
        return recording

    async def client_event(self, event: ClientEvent) -> None:
        if isinstance(event, InputAudioBufferAppend):
            if self._rates[0] == self._wav_rates[0]:
                try:
                    self.audio.add(self.recorder.write_user_audio, decode_pcm16(event.audio))
                except ValueError:
                    pass  # the engine reports bad audio to the client; nothing to record
        elif isinstance(event, SessionUpdate):
            session = event.session
            self._rates = (session.input_sample_rate or self._rates[0], session.output_sample_rate or self._rates[1])
        elif isinstance(event, ConversationItemCreate) and event.item.role == "user":
            text = " ".join(part.text or "" for part in event.item.content)
            await self.recorder.add_turn(role="user", text=text)

    async def server_event(self, event: ServerEvent) -> None:
        if isinstance(event, ResponseAudioDelta):
            if self._rates[1] == self._wav_rates[1]:
                self.audio.add(self.recorder.write_persona_audio, decode_pcm16(event.delta))
        elif isinstance(event, ResponseAudioTranscriptDelta):
            self._reply_text.append(event.delta)
        elif isinstance(event, InputTranscriptionCompleted):
            await self.recorder.add_turn(role="user", text=event.transcript)
        elif isinstance(event, ResponseDone):
            text, self._reply_text = "".join(self._reply_text), []
            await self.recorder.add_turn(
                role="assistant",
                text=text,
                interrupted=event.response.status == "cancelled",
                timings=event.response.timings,
            )

    async def finish(self, reason: str) -> None:
        await self.audio.close()
        await self.recorder.finish(reason)
