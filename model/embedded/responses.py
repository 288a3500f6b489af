"""A session's responses: at most one speaking at a time, started for a turn, started early at the
speaker's pause (and adopted or dropped when the turn ends), cancelled; each reply kept in the history.

The session decides *when* to answer (audio turns, typed text, `response.create`); this decides *how*:
the plan and prompt, the `ResponseRun`, the `response.created` that announces it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from model.embedded.early_start import EarlyReplies
from model.embedded.listen.early_asr import Pending
from model.embedded.reply.history import ConversationHistory
from model.embedded.reply.llm import ChatMessage
from model.embedded.reply.plan import ReplyPlan
from model.embedded.reply.prompts import SessionPrompts
from model.embedded.shared import SharedModels
from model.embedded.spoken_response import ResponseRun
from model.embedded.truncation import AssistantItems
from model.events import (
    DEFAULT_SAMPLE_RATE,
    ConversationItemTruncate,
    ResponseCreated,
    ResponseInfo,
    ServerEvent,
    SessionConfig,
    TurnDetection,
    TurnTimings,
    new_id,
    now_ms,
)

logger = logging.getLogger(__name__)


class SessionResponses:
    """One per session; called from the session's event loop only."""

    def __init__(
        self,
        shared: SharedModels,
        history: ConversationHistory,
        prompts: SessionPrompts,
        *,
        config: Callable[[], SessionConfig],
        emit: Callable[[ServerEvent], None],
        on_item: Callable[[str], None],
        pace_audio: bool,
    ) -> None:
        self._shared = shared
        self._history = history
        self._prompts = prompts
        self._config = config  # the session's config as it is now
        self._emit = emit
        self._on_item = on_item  # a response's item is the newest in the conversation
        self._pace_audio = pace_audio
        self._early = EarlyReplies()
        self._items = AssistantItems(history, on_revised=lambda: self._prompts.warm_next(self._config()))
        self.active: ResponseRun | None = None
        self.unanswered_user_turn = False  # a user turn was added that no response has started on
        self.closed = False

    @property
    def speaking(self) -> bool:
        return self.active is not None and self.active.active

    async def start(
        self,
        timings: TurnTimings,
        *,
        user_text: str | None = None,
        user_language: str | None = None,
        fixed_text: str | None = None,
    ) -> None:
        """Answer the history as it is now (or speak `fixed_text`, a greeting)."""
        config = self._config()
        previous = self.active
        if previous is not None and previous.active and previous.done is not None:
            if (config.turn_detection or TurnDetection()).interrupt_response:
                await previous.cancel()  # a new user turn replaces the reply nobody wants to hear out
            else:
                await asyncio.shield(previous.done)  # no interruptions: answer after the current reply
        plan = self._prompts.plan(config, user_text=user_text, user_language=user_language)
        messages = None if fixed_text is not None else self._prompts.messages(plan)
        run = self._new_run(plan, messages, timings, fixed_text=fixed_text)
        self._announce(run)
        run.start()

    async def user_turn(
        self,
        text: str,
        timings: TurnTimings,
        *,
        language: str | None = None,
        started_early: ResponseRun | None = None,
        superseded: bool = False,
    ) -> None:
        """A user turn joins the history and is answered (when the config creates responses).

        `started_early` is the reply begun at the speaker's pause, adopted when it still fits;
        `superseded`: the user is speaking again, so this turn is answered with the next one."""
        self._history.add("user", text)
        self.unanswered_user_turn = True
        if not (self._config().turn_detection or TurnDetection()).create_response:
            return
        if superseded:
            logger.info("user is speaking again: the turn will be answered with the next one")
            if started_early is not None:
                started_early.drop()
            return
        if started_early is not None and self.adopt(started_early, timings):
            return
        await self.start(timings, user_text=text, user_language=language)

    async def answer_again(self) -> None:
        """`response.create`: answer the latest user turn, unless a response to it is already under way."""
        self._early.discard()
        if self.speaking:
            if not self.unanswered_user_turn:
                return  # already answering the latest turn (clients often send item.create + response.create)
            await self.cancel()
        await self.start(TurnTimings(speech_end_ms=now_ms()), user_text=self._history.last_user_text())

    async def cancel(self) -> None:
        if self.active is not None:
            await self.active.cancel()

    def truncate(self, event: ConversationItemTruncate) -> None:
        """The client heard only `audio_end_ms` of an assistant item: the history keeps what was heard."""
        self._emit(self._items.truncate(event))

    # ------------------------------------------------------------------ early replies

    def start_early(self, pending: Pending) -> None:
        """The speaker paused and their words are known: start the reply now, held until the turn ends."""
        transcript = pending[1].result()
        text = transcript.text.strip()
        if self.closed or not text or self.speaking:
            return  # still speaking without barge-in: the turn's end decides what follows
        config = self._config()
        plan, messages = self._prompts.for_user_turn(config, user_text=text, user_language=transcript.language)
        run = self._new_run(plan, messages, TurnTimings(), held=True)
        run.start()
        self._early.started(pending, run, config, tuple(self._history.turns))

    def drop_early(self) -> None:
        """Whatever was started early can no longer be the answer (the speaker went on, the config or the
        history changed, typed text came first...)."""
        self._early.discard()

    def take_early(self, pending: Pending | None) -> ResponseRun | None:
        """The reply started at the pause this turn ended on, when it still answers it (call before the
        user turn is added to the history); anything else started early is dropped."""
        return self._early.take(pending, self._config(), tuple(self._history.turns))

    def adopt(self, run: ResponseRun, timings: TurnTimings) -> bool:
        """A reply started early answers the turn that just ended: announce it and let its audio out.
        False (and the run dropped) when another response is still speaking: answer the usual way."""
        if self.speaking:
            run.drop()
            return False
        run.timings.speech_end_ms = timings.speech_end_ms
        run.timings.turn_decided_ms = timings.turn_decided_ms
        run.timings.asr_done_ms = timings.asr_done_ms
        self._announce(run)
        run.release()
        return True

    async def close(self) -> None:
        self.closed = True
        self._early.discard()
        await self.cancel()

    # ------------------------------------------------------------------ plumbing

    def _announce(self, run: ResponseRun) -> None:
        self.unanswered_user_turn = False
        self._emit(ResponseCreated(response=ResponseInfo(id=run.response_id, timings=run.timings)))
        self.active = run
        self._items.announced(run)
        self._on_item(run.item_id)

    def _new_run(
        self,
        plan: ReplyPlan,
        messages: list[ChatMessage] | None,
        timings: TurnTimings,
        *,
        fixed_text: str | None = None,
        held: bool = False,
    ) -> ResponseRun:
        item_id = new_id("item")
        return ResponseRun(
            response_id=new_id("resp"),
            item_id=item_id,
            shared=self._shared,
            plan=plan,
            messages=messages,
            emit=self._emit,
            timings=timings,
            output_rate=self._config().output_sample_rate or DEFAULT_SAMPLE_RATE,
            pace=self._pace_audio,
            fixed_text=fixed_text,
            on_finish=lambda text, _status: self._keep_reply(item_id, text),
            held=held,
            # Inside the run, after it is announced: a `response.create` meanwhile finds it answering. Not for a
            # reply started at the speaker's pause: it is there to be early, and the turn may not be over.
            prompt_ready=None if held else self._prompts.prompt_ready,
        )

    def _keep_reply(self, item_id: str, text: str) -> None:
        self._items.kept(item_id, self._history.add("assistant", text))
        if not self.closed:
            self._prompts.warm_next(self._config())
