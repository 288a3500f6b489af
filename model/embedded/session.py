"""A live conversation with the embedded engine, behind the realtime event protocol.

    client events --send()--> [checks] --> audio: SpokenInput (resample, VAD, end of turn, early ASR)
                                            |  speech started: barge-in cancels the reply in flight
                                            |  turn ended: transcript -> history -> ResponseRun
                                     text:  history -> ResponseRun
    server events <--events()-- one ordered queue

Per turn the order is: speech_started, speech_stopped, committed, input transcription completed,
response.created, (audio_transcript.delta, audio.delta...)*, audio.done, audio_transcript.done,
response.done. `response.done.response.timings` carries the epoch-ms of each stage of the turn.
A client that plays the audio out itself (a session opened unpaced) says how much of a reply was heard with
`conversation.item.truncate`; the history then keeps only those phrases (truncation.py).

Greeting: when the session config has `greeting`, it is spoken at session start as an ordinary
response (cancellable by barge-in, kept in the history as the assistant's first turn). A
`response.create` with no new user turn asks the chat model to continue from the history as it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import numpy as np

from model.embedded.client_input import check_audio_append, nothing_to_commit, parse_client_event, typed_user_text
from model.embedded.listen.early_asr import Pending
from model.embedded.listen.spoken_input import EarlyTranscript, SpokenInput
from model.embedded.reply.history import ConversationHistory
from model.embedded.reply.llm import ChatMessage
from model.embedded.reply.prompts import SessionPrompts
from model.embedded.responses import SessionResponses
from model.embedded.session_config import apply_update, listening_settings, opening_config
from model.embedded.shared import SharedModels
from model.events import (
    ClientEvent,
    ConversationItemCreate,
    ConversationItemCreated,
    ConversationItemTruncate,
    ErrorEvent,
    InputAudioBufferAppend,
    InputAudioBufferClear,
    InputAudioBufferCommit,
    InputAudioBufferCommitted,
    InputTranscriptionCompleted,
    ResponseCancel,
    ResponseCreate,
    ServerEvent,
    SessionConfig,
    SessionCreated,
    SessionUpdate,
    SessionUpdated,
    SpeechStarted,
    SpeechStopped,
    TurnDetection,
    TurnTimings,
    error_event,
    new_id,
    now_ms,
)
from model.internal_errors import internal_error_event
from model.turn.turn_taking import SpeechStart, TurnEnd

logger = logging.getLogger(__name__)


class EmbeddedSession:
    """Implements `model.protocol.EngineSession` over the shared embedded models."""

    def __init__(self, shared: SharedModels, config: SessionConfig, *, pace_audio: bool = True) -> None:
        self._shared = shared
        self._pace_audio = pace_audio
        self._config, self._opening_problem = opening_config(config, shared.voice_ids())
        self._out: asyncio.Queue[ServerEvent | None] = asyncio.Queue()
        self._history = ConversationHistory(shared.count_tokens, shared.context_tokens)
        self._prompts = SessionPrompts(shared, self._history)
        self._input = SpokenInput(shared, *listening_settings(self._config), on_early=self._on_early_transcript)
        self._speech_item_id: str | None = None
        self._speech_epoch = 0  # bumps at every speech start: a turn answered late checks it
        self._last_item_id: str | None = None
        self._responses = SessionResponses(
            shared,
            self._history,
            self._prompts,
            config=lambda: self._config,
            emit=self._emit,
            on_item=self._set_last_item,
            pace_audio=pace_audio,
        )
        self._tasks: set[asyncio.Task[None]] = set()  # turns being transcribed and answered
        self._closed = False

    # ------------------------------------------------------------------ protocol

    @property
    def config(self) -> SessionConfig:
        return self._config

    @property
    def history(self) -> list[ChatMessage]:
        """The conversation so far (user and assistant turns, oldest first)."""
        return list(self._history.turns)

    async def prompt_ready(self) -> None:
        """Wait until the prompt the next reply starts with is evaluated (llama.cpp's prompt cache), as it
        is by the time a listener has heard the greeting or the last reply out."""
        await self._prompts.warmed()

    @property
    def idle(self) -> bool:
        """No reply being spoken and no turn being transcribed."""
        return not self._tasks and not self._responses.speaking

    async def start(self) -> None:
        self._emit(SessionCreated(session=self._config))
        if self._opening_problem is not None:
            self._emit(self._opening_problem)
        self._prompts.warm_next(self._config)
        if self._config.greeting:
            await self._responses.start(TurnTimings(speech_end_ms=now_ms()), fixed_text=self._config.greeting)

    async def send(self, event: ClientEvent | dict[str, Any] | str | bytes) -> None:
        if self._closed:
            logger.debug("event after close ignored")
            return
        parsed = parse_client_event(event)
        if isinstance(parsed, ErrorEvent):
            self._emit(parsed)
            return
        try:
            await self._dispatch(parsed)
        except Exception:  # the session must outlive any one bad event; the log has the cause, under an id
            self._emit(internal_error_event(logger, f"Could not handle `{parsed.type}`"))

    async def events(self) -> AsyncIterator[ServerEvent]:
        while (event := await self._out.get()) is not None:
            yield event

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self._responses.close()
        await self._prompts.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._out.put_nowait(None)

    # ------------------------------------------------------------------ dispatch

    async def _dispatch(self, event: ClientEvent) -> None:
        if isinstance(event, InputAudioBufferAppend):
            await self._append(event)
        elif isinstance(event, SessionUpdate):
            self._update(event)
        elif isinstance(event, ConversationItemCreate):
            await self._typed(event)
        elif isinstance(event, ResponseCreate):
            await self._responses.answer_again()
        elif isinstance(event, ResponseCancel):
            if not self._responses.speaking:
                self._emit(error_event("No response is in progress to cancel.", code="response_cancel_not_active"))
            else:
                await self._responses.cancel()
        elif isinstance(event, ConversationItemTruncate):
            self._responses.truncate(event)
        elif isinstance(event, InputAudioBufferClear):
            self._input.clear()
        elif isinstance(event, InputAudioBufferCommit):
            end = self._input.commit()
            if end is None:
                self._emit(nothing_to_commit())
            else:
                self._on_turn_end(end)

    @property
    def _detection(self) -> TurnDetection:
        return listening_settings(self._config).detection

    def _update(self, event: SessionUpdate) -> None:
        config, problem = apply_update(self._config, event, self._shared.voice_ids())
        if problem is not None:
            self._emit(problem)
        if config is None:
            return
        self._responses.drop_early()  # written for the old config
        self._config = config
        self._input.configure(*listening_settings(self._config))
        self._emit(SessionUpdated(session=self._config, event_id=None))
        self._prompts.warm_next(self._config)

    # ------------------------------------------------------------------ audio turns

    async def _append(self, event: InputAudioBufferAppend) -> None:
        samples = check_audio_append(event.audio, listening_settings(self._config).input_rate, event.event_id)
        if isinstance(samples, ErrorEvent):
            self._emit(samples)
            return
        for decision in self._input.push(samples):
            if isinstance(decision, SpeechStart):
                await self._on_speech_start(decision)
            else:
                self._on_turn_end(decision)

    async def _on_speech_start(self, start: SpeechStart) -> None:
        self._speech_epoch += 1
        self._speech_item_id = new_id("item")
        self._responses.drop_early()
        self._emit(SpeechStarted(audio_start_ms=start.audio_start_ms, item_id=self._speech_item_id))
        if self._detection.interrupt_response and self._responses.speaking:
            logger.info("barge-in: cancelling the response being spoken")
            await self._responses.cancel()

    def _on_turn_end(self, end: TurnEnd) -> None:
        item_id = self._speech_item_id or new_id("item")
        self._speech_item_id = None
        self._emit(SpeechStopped(audio_end_ms=end.audio_end_ms, item_id=item_id))
        self._emit(InputAudioBufferCommitted(item_id=item_id, previous_item_id=self._last_item_id))
        self._last_item_id = item_id
        timings = TurnTimings(speech_end_ms=end.speech_end_wall_ms, turn_decided_ms=end.decided_wall_ms)
        logger.debug(
            "turn %s ended (%s) after %.0f ms of silence",
            item_id,
            end.reason,
            end.decided_wall_ms - end.speech_end_wall_ms,
        )
        self._spawn(self._answer_turn(item_id, end.audio_16k, timings, self._speech_epoch, self._input.take_early()))

    async def _answer_turn(
        self,
        item_id: str,
        audio_16k: np.ndarray,
        timings: TurnTimings,
        epoch: int,
        early: EarlyTranscript = None,
    ) -> None:
        transcript = await self._input.transcript(early, audio_16k)
        # An early transcript can be ready before the decision: ASR then added nothing after it.
        timings.asr_done_ms = max(now_ms(), timings.turn_decided_ms or 0.0)
        text = transcript.text.strip()
        self._emit(InputTranscriptionCompleted(item_id=item_id, transcript=text, language=transcript.language))
        started_early = self._responses.take_early(early)
        if not text:
            logger.info("turn %s had no words (noise?): no reply", item_id)
            return
        superseded = epoch != self._speech_epoch and self._detection.interrupt_response
        await self._responses.user_turn(
            text, timings, language=transcript.language, started_early=started_early, superseded=superseded
        )

    def _on_early_transcript(self, pending: Pending | None) -> None:
        """The speaker paused and their words are known (or went on: None). When the session is otherwise
        quiet, the reply starts now, held until the turn is decided (`early_reply`)."""
        if pending is None:
            self._responses.drop_early()
        elif not self._closed and self._detection.create_response and not self._tasks:
            self._responses.start_early(pending)

    # ------------------------------------------------------------------ typed turns and responses

    async def _typed(self, event: ConversationItemCreate) -> None:
        text = typed_user_text(event.item, event.event_id)
        if isinstance(text, ErrorEvent):
            self._emit(text)
            return
        self._responses.drop_early()  # typed words come first; a spoken turn in progress is answered after
        item = event.item.model_copy(update={"id": event.item.id or new_id("item")})
        self._emit(ConversationItemCreated(previous_item_id=self._last_item_id, item=item))
        self._last_item_id = item.id
        await self._responses.user_turn(text, TurnTimings(speech_end_ms=now_ms()))

    def _set_last_item(self, item_id: str) -> None:
        self._last_item_id = item_id

    # ------------------------------------------------------------------ plumbing

    def _emit(self, event: ServerEvent) -> None:
        if not self._closed or event.type == "response.done":
            self._out.put_nowait(event)

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self._emit(internal_error_event(logger, "The turn could not be answered", exc=task.exception()))
