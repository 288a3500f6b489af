"""The full-duplex WebRTC bridge: browser microphone -> engine session -> paced reply audio.

One `LiveHandler` per browser connection (fastrtc copies the prototype). It is a plain bridge: the
engine does turn detection, so mic frames go straight in as `input_audio_buffer.append` and reply
audio comes out of `emit()` at a steady real-time rate — silence frames between replies keep the
RTP timestamps continuous (a gap makes Chrome's jitter buffer grow to ~1 s). On `speech_started`
the queued reply audio is dropped at once: barge-in is one explicit flush, not scattered flags.
The embedded engine's audio comes unpaced: this bridge is its only pacer, it shows and saves each
phrase when it plays, and truncates the reply in the engine's history to what was played (live/playout.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from typing import Any

import numpy as np
import soxr
from fastrtc import AdditionalOutputs, AsyncStreamHandler
from fastrtc.utils import current_context

from model.events import (
    ContentPart,
    ConversationItem,
    ConversationItemCreate,
    ConversationItemTruncate,
    ErrorEvent,
    InputAudioBufferAppend,
    InputTranscriptionCompleted,
    ResponseAudioDelta,
    ResponseAudioTranscriptDelta,
    ResponseCancel,
    ResponseCreate,
    ResponseCreated,
    ResponseDone,
    SessionUpdate,
    SpeechStarted,
)
from model.protocol import EngineSession
from stepaudio_ui.context import AppContext
from stepaudio_ui.live.opening import open_live_session, switch_mid_call
from stepaudio_ui.live.pacing import FRAME_SAMPLES, OUTPUT_RATE, RealTimePacer, ReplyAudio
from stepaudio_ui.live.playout import FinishedReply, OpenReply, ReplyPlayout
from stepaudio_ui.live.registry import LiveRegistry
from stepaudio_ui.live.session import (
    ConversationRecorder,
    LiveSelection,
    ResolvedSession,
    selection_from_args,
)
from stepaudio_ui.live.view import ConversationView, Notice

logger = logging.getLogger(__name__)

BROWSER_RATE = 48_000  # WebRTC's Opus rate: taken as is, in 20 ms frames
INPUT_RATE = 16_000  # what the engine's VAD/ASR run at
# (fastrtc's own resampler would do 48k -> 16k too, but in 60 ms frames: 40 ms of extra delay per turn)
UI_INTERVAL_S = 0.1  # transcript deltas arrive per token; the page needs ~10 redraws a second at most


class LiveHandler(AsyncStreamHandler):
    def __init__(self, ctx: AppContext, registry: LiveRegistry) -> None:
        super().__init__(expected_layout="mono", output_sample_rate=OUTPUT_RATE, input_sample_rate=BROWSER_RATE)
        self._downsample = soxr.ResampleStream(BROWSER_RATE, INPUT_RATE, 1, dtype="int16")
        self.ctx = ctx
        self.registry = registry
        self.view = ConversationView()
        self.reply = ReplyAudio()
        self.playout = ReplyPlayout(self.reply)
        self.pacer = RealTimePacer()
        self.session: EngineSession | None = None
        self.recorder: ConversationRecorder | None = None
        self.resolved: ResolvedSession | None = None
        self._webrtc_id: str | None = None
        self._reader: asyncio.Task[None] | None = None
        self._seen_args: list[Any] | None = None
        self._ui_dirty = True
        self._ui_sent_at = 0.0
        self.open = OpenReply()
        self._closed = False
        self._tasks: set[asyncio.Task[Any]] = set()  # keeps fire-and-forget saves alive until done

    def copy(self) -> LiveHandler:
        return LiveHandler(self.ctx, self.registry)

    # ------------------------------------------------------------------ lifecycle

    async def start_up(self) -> None:
        context = current_context.get()
        self._webrtc_id = context.webrtc_id if context else None
        if self._webrtc_id:
            self.registry.add(self._webrtc_id, self)
        await self.wait_for_args()
        self._seen_args = list(self.latest_args)
        try:
            selection = selection_from_args(self.latest_args)
            await self.check_selection(selection, list(self.latest_args))
            self.session = await self._open(selection)
        except Exception as exc:  # shown on the page; the connection stays up so the user can read it
            logger.warning("live conversation could not start: %s", exc)
            self._notice("live.status.could_not_start", error=exc)
            return
        if self._closed:  # the browser hung up while the engine was opening
            await self.session.close()
            if self.recorder:
                await self.recorder.finish("hung up")
            return
        self._reader = asyncio.create_task(self._read_events(self.session))

    async def check_selection(self, selection: LiveSelection, args: list[Any]) -> None:
        """Raise to refuse `selection` (at start, or a mid-call switch); the message is shown on the page.
        Everything is allowed here; subclasses add rules (e.g. viewers talk to published versions only)."""

    async def _open(self, selection: LiveSelection) -> EngineSession:
        opened = await open_live_session(self.ctx, selection, self._notice, input_rate=INPUT_RATE)
        self.resolved, self.recorder = opened.resolved, opened.recorder
        self.playout.client_paced = opened.client_paced
        self.view.conversation_id = self.recorder.conversation_id
        self._notice("live.status.talking", persona=self.resolved.persona_name, engine=selection.engine)
        return opened.session

    async def shutdown(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._webrtc_id:
            self.registry.remove(self._webrtc_id, self)
        if self._reader:
            self._reader.cancel()
        if self.session:
            await self.session.close()
        if self.open.response_id:
            self._finish_reply(interrupted=True)
        if self._tasks:  # the last turns' saves, before the conversation row is closed
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.recorder:
            await self.recorder.finish("hung up")

    # ------------------------------------------------------------------ audio in / out

    async def receive(self, frame: tuple[int, np.ndarray]) -> None:
        _, samples = frame
        samples = self._downsample.resample_chunk(samples.reshape(-1).astype(np.int16, copy=False))
        if not len(samples):
            return
        if self.recorder:
            self.recorder.write_user_audio(samples)
        if self.session:
            await self.session.send(InputAudioBufferAppend(audio=samples))

    async def emit(self) -> Any:
        await self.pacer.wait()
        if self.latest_args is not self._seen_args and self._seen_args is not None and self.session:
            self._seen_args = self.latest_args  # the page re-sends its inputs often: act on real changes only
            self._spawn(self._apply_selection(list(self.latest_args)))
        samples, heard = self.playout.pop()
        for response_id, words in heard:
            self._heard(response_id, words)
        replying = samples is not None
        if samples is None:
            if self.open.played:  # the whole reply was heard
                self._finish_reply(interrupted=False)
            samples = np.zeros(FRAME_SAMPLES, dtype=np.int16)
        if self.recorder:
            self.recorder.write_persona_audio(samples, replying=replying)
        audio = (OUTPUT_RATE, samples.reshape(1, -1))
        now = time.monotonic()
        if self._ui_dirty and now - self._ui_sent_at >= UI_INTERVAL_S:
            self._ui_dirty, self._ui_sent_at = False, now
            return audio, AdditionalOutputs(self.view.snapshot())
        return audio

    def barge_in(self) -> ConversationItemTruncate | None:
        """Drop every queued reply sample now: ours, and the few frames fastrtc already holds. Returns what to
        tell a client-paced session about the reply cut off (how much of it was played)."""
        truncate = self.playout.truncation(self.open.response_id)
        dropped = self.playout.clear()
        self.clear_queue()
        if self.open.generating:
            self.open.interrupted = True
            self.view.mark_interrupted()
        elif self.open.played:
            self._finish_reply(interrupted=True)
        logger.info("barge-in at %.0f (epoch ms): dropped %d queued reply frames", time.time() * 1000, dropped)
        return truncate

    # ------------------------------------------------------------------ text and changes from the page

    async def send_text(self, text: str) -> None:
        """Typed text: stop any reply, then ask for a spoken answer to it."""
        if not self.session:
            raise RuntimeError("the conversation has not started yet")
        if self.open.generating or (self.open.played and self.playout.client_paced):  # a reply is playing
            truncate = self.barge_in()
            if self.open.generating:
                await self.session.send(ResponseCancel())
            if truncate is not None:
                await self.session.send(truncate)
        item = ConversationItem(role="user", content=[ContentPart(type="input_text", text=text)])
        await self.session.send(ConversationItemCreate(item=item))
        await self.session.send(ResponseCreate())
        self.view.user_said(text)
        self._ui_dirty = True
        if self.recorder:
            await self.recorder.add_turn(role="user", text=text)

    async def _apply_selection(self, args: list[Any]) -> None:
        """Persona or scene changed mid-conversation: takes effect from the next turn."""
        switched = await switch_mid_call(self.ctx, self.resolved, args, self.check_selection, self._notice, INPUT_RATE)
        if switched is not None and self.session:
            self.resolved = switched
            # The greeting is for the start of a conversation only.
            await self.session.send(SessionUpdate(session=switched.config.model_copy(update={"greeting": None})))
            self._notice("live.status.now", persona=switched.persona_name)

    # ------------------------------------------------------------------ engine events

    async def _read_events(self, session: EngineSession) -> None:
        try:
            async for event in session.events():
                await self._on_event(event)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            logger.exception("engine session failed")
            self._notice("live.status.engine_failed", error=exc)

    async def _on_event(self, event: Any) -> None:
        if self.recorder:
            self.recorder.marks.observe(event)  # where each user turn lies in the recording
        if isinstance(event, ResponseAudioDelta):
            if event.response_id == self.open.generating and not self.open.interrupted:
                self.playout.push(event.response_id, event.item_id, event.delta)
            return
        if isinstance(event, SpeechStarted):
            config = self.resolved.config if self.resolved else None
            may_interrupt = not (config and config.turn_detection) or config.turn_detection.interrupt_response
            if may_interrupt and (self.reply.playing or self.open.generating):
                truncate = self.barge_in()
                if truncate is not None and self.session:
                    await self.session.send(truncate)
            self.view.user_started()
        elif isinstance(event, InputTranscriptionCompleted):
            self.view.user_said(event.transcript)
            if self.recorder:
                clip = self.recorder.marks.user_clip(event.item_id)
                await self.recorder.add_turn(role="user", text=event.transcript, audio=clip)
        elif isinstance(event, ResponseCreated):
            if self.open.response_id:  # a reply still open: the new one replaces it
                open_reply = self.open.response_id
                self._heard(open_reply, self.playout.unplayed_words(open_reply))  # saved whole, as it plays on
                self._finish_reply(interrupted=True)
            self.open = OpenReply(generating=event.response.id)
            self.view.assistant_started()
        elif isinstance(event, ResponseAudioTranscriptDelta):
            if event.response_id == self.open.generating and not (self.open.interrupted and self.playout.client_paced):
                self._heard(event.response_id, self.playout.words(event.response_id, event.delta))
        elif isinstance(event, ResponseDone):
            if event.response.id == self.open.generating:
                timings = event.response.timings
                if timings and timings.speech_end_ms:
                    self.view.add_latency(timings)
                self.open.played = FinishedReply(event.response.id, timings)
                self.open.generating = None
                if self.open.interrupted or event.response.status != "completed":
                    self._finish_reply(interrupted=True)
                elif not self.reply.playing:
                    self._finish_reply(interrupted=False)
        elif isinstance(event, ErrorEvent):
            self._notice("live.status.engine_error", error=event.error.message)
        self._ui_dirty = True

    def _heard(self, response_id: str | None, words: str) -> None:
        """Words of a reply reached the listener: shown, and kept for the saved turn (of the open reply only)."""
        if self.open.hear(response_id, words):
            self.view.assistant_delta(words)
            self._ui_dirty = True

    def _finish_reply(self, *, interrupted: bool) -> None:
        """Close the open reply (generating or still playing) and save it as a turn."""
        text, timings = self.open.text, self.open.played.timings if self.open.played else None
        self.open = OpenReply()
        self.view.assistant_finished(interrupted=interrupted)
        self._ui_dirty = True
        if self.recorder:
            self._spawn(self.recorder.add_reply(text=text, interrupted=interrupted, timings=timings))

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _notice(self, key: str, **values: object) -> None:
        """Set the status line: a key of the UI's texts, shown in the reader's language (errors stay English)."""
        self.view.status = Notice(key, tuple((name, str(value)) for name, value in values.items()))
        self._ui_dirty = True
