"""What the chat model is shown for a session's next reply, and reading it ahead of time.

One per session, over its history. `plan` fixes a reply's language, length and sampling from the session
config; `messages` is the prompt for it; `warm_next` has llama.cpp evaluate, in the background, the part
the next prompt will start with (system prompt + the history it shows), so an answer only waits for the
new user turn (~20 tokens instead of ~100–400 at a few ms each on one thread), and has the usual reply
openers ("Sure!", "Of course!") spoken in the session's voice ahead of time (`phrase_cache`).
"""

from __future__ import annotations

import asyncio
import logging
import math
import weakref
from typing import TYPE_CHECKING

from model.embedded.reply.history import ConversationHistory
from model.embedded.reply.llm import ChatMessage
from model.embedded.reply.persona_prompt import with_few_shot
from model.embedded.reply.plan import ReplyPlan, adapt_prompt, plan_reply
from model.embedded.workers import run_model_work
from model.events import SessionConfig

if TYPE_CHECKING:  # handed in by the session: the stage needs only its type, not the engine level
    from model.embedded.shared import SharedModels

logger = logging.getLogger(__name__)

SMALL_MODEL_HISTORY_TURNS = 3  # the previous exchange and the new user turn
# Warm-ups share the model threads (and the one chat model) with every session's replies: one session
# asks for at most one a second, however often its config changes.
WARM_MIN_INTERVAL_S = 1.0


_WARM_SLOTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


async def _bounded_wait(work: asyncio.Future[None], timeout_s: float) -> None:
    """Wait for background `work` at most `timeout_s`; its failure or slowness is not the waiter's."""
    try:
        await asyncio.wait_for(asyncio.shield(work), timeout_s)
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():  # the waiter itself was cancelled: pass it on
            raise
    except Exception:  # noqa: BLE001 - a failed or slow warm-up only means the reply evaluates it itself
        logger.debug("prompt warm-up not used", exc_info=True)


def _warm_slot() -> asyncio.Semaphore:
    """One session's warm-up at a time in the process (per event loop): warm-ups are optional work, and
    many sessions opening at once must not put a warm-up each on the model threads in front of replies."""
    loop = asyncio.get_running_loop()
    slot = _WARM_SLOTS.get(loop)
    if slot is None:
        slot = _WARM_SLOTS[loop] = asyncio.Semaphore(1)
    return slot


# At most this long (a guard against a stuck request, not a budget): starting beside an unfinished warm-up
# never helps, it evaluates the same prompt again in the other slot on the same cores.
PROMPT_WARM_WAIT_S = 30.0


class SessionPrompts:
    def __init__(self, shared: SharedModels, history: ConversationHistory) -> None:
        self._shared = shared
        self._history = history
        self._warming: set[asyncio.Future[None]] = set()  # background prompt evaluation, not "busy"
        self._warmer: asyncio.Future[None] | None = None  # the one warm-up running for this session
        self._wanted: SessionConfig | None = None  # the newest config asked for while it runs
        self._last_warm: tuple[object, ...] | None = None  # what the last warm-up read (prompt, voice, ...)
        self._last_warm_at = -math.inf
        self._prompt_warming: asyncio.Future[None] | None = None  # the latest prompt being evaluated ahead
        self._closed = False

    def plan(self, config: SessionConfig, *, user_text: str | None, user_language: str | None) -> ReplyPlan:
        return plan_reply(
            config,
            user_text=user_text,
            user_language=user_language,
            llm_writes_chinese=self._shared.llm_writes_chinese,
            default_voice=self._shared.voice_ids()[0],
            earlier_replies=self._history.assistant_texts(),
            copy_guard=self._shared.copy_guard,
        )

    def messages(self, plan: ReplyPlan) -> list[ChatMessage]:
        """The prompt for the reply `plan` describes: system prompt + the history that fits."""
        prompt = self._history.prompt(plan.system_prompt, self._reserve(plan), max_turns=self._window(plan))
        return adapt_prompt(with_few_shot(prompt, list(plan.few_shot)), plan)

    def for_user_turn(
        self, config: SessionConfig, *, user_text: str, user_language: str | None
    ) -> tuple[ReplyPlan, list[ChatMessage]]:
        """Plan and prompt for answering `user_text` as if it were already in the history (which is left
        as it is: the turn may not be over yet)."""
        history = ConversationHistory(
            self._history.count_tokens, self._history.context_tokens, list(self._history.turns)
        )
        history.add("user", user_text)
        prompts = SessionPrompts(self._shared, history)
        plan = prompts.plan(config, user_text=user_text, user_language=user_language)
        return plan, prompts.messages(plan)

    def warm_next(self, config: SessionConfig) -> None:
        """Start evaluating what the next prompt will begin with (at session start, after
        `session.update`, and after each reply while the user listens).

        One warm-up at a time per session, at most one a second, and none for a prompt it just read: asked
        again meanwhile, the newest ask runs once after it. A client repeating `session.update` (up to the
        endpoint's message rate) then queues one job on the shared model threads, not two per message in
        front of every session's replies."""
        self._wanted = config
        if self._warmer is None or self._warmer.done():
            self._warmer = asyncio.ensure_future(self._warm_latest())
            self._warming.add(self._warmer)
            self._warmer.add_done_callback(self._warming.discard)

    async def _warm_latest(self) -> None:
        loop = asyncio.get_running_loop()
        while self._wanted is not None and not self._closed:
            wait = self._last_warm_at + WARM_MIN_INTERVAL_S - loop.time()
            if wait > 0:  # asks arriving meanwhile collapse into the newest
                await asyncio.sleep(wait)
                continue
            config, self._wanted = self._wanted, None
            self._last_warm_at = loop.time()
            try:
                await self._warm(config)
            except Exception:  # a failed warm-up only means a slower first token: the next ask still runs
                logger.exception("reading the next prompt ahead of time failed")

    async def _warm(self, config: SessionConfig) -> None:
        plan = self.plan(config, user_text=None, user_language=None)
        window = self._window(plan)
        # The next prompt shows the newest `window` turns including the coming user turn.
        shown = self._history.prompt(
            plan.system_prompt, self._reserve(plan), max_turns=None if window is None else window - 1
        )
        if window is not None and window - 1 <= 0:
            shown = shown[:1]
        # Chat templates want a user turn last; its text differs from the real one, its header does not.
        placeholder = ChatMessage(role="user", content="…")
        # Replies are in the session's language; "auto" answers in either, and only a chat model that
        # writes Chinese (not the packaged SmolLM2) ever replies in Chinese.
        if not self._shared.llm_writes_chinese:
            languages = ["en"]
        elif config.language in ("en", "zh"):
            languages = [config.language]
        else:
            languages = ["en", "zh"]
        prompt = [*with_few_shot(shown, list(plan.few_shot)), placeholder]
        warm = (prompt, plan.voice, plan.speed, languages)
        if warm == self._last_warm:  # the same prompt and voice again (a repeated session.update): nothing new
            return
        async with _warm_slot():  # waiting here holds no model thread
            self._last_warm = warm  # not before: a warm-up dropped while it waited here evaluated nothing
            self._prompt_warming = asyncio.ensure_future(run_model_work(self._shared.warm_prompt, prompt))
            await asyncio.gather(
                self._prompt_warming, run_model_work(self._prewarm_openers, plan.voice, plan.speed, languages)
            )

    def _prewarm_openers(self, voice: str, speed: float, languages: list[str]) -> None:
        made = self._shared.prewarm_openers(
            voice=voice, speed=speed, languages=languages, keep_going=lambda: not self._closed
        )
        if made:
            logger.debug("made %d reply openers ahead of time for %s at %.2fx", made, voice, speed)

    async def prompt_ready(self, timeout_s: float = PROMPT_WARM_WAIT_S) -> None:
        """Wait (a bounded while) for the prompt being warmed to be in llama.cpp's cache.

        A reply asked for while it is still being evaluated (a typed turn right after `session.update`)
        would otherwise go to the other slot and evaluate the whole prompt again beside it, on the same
        cores: typed first audio came 1.9x later on the 0.5B brain that way (issue 19). Waiting reuses it.
        """
        warming = self._prompt_warming
        if warming is not None and not warming.done():
            await _bounded_wait(warming, timeout_s)
        warmer = self._warmer
        if warmer is not None and not warmer.done() and (self._prompt_warming is None or self._prompt_warming.done()):
            # A warm-up asked for but not evaluating yet (queued behind another session's, or waiting out the
            # one-a-second limit) would start beside this reply and evaluate the same prompt in the other slot
            # on the same cores: in `bench brain`, each persona's first 0.5B reply took 10-12 s to its first
            # token that way, against ~0.4 s for later turns. Dropped; the reply evaluates the prompt itself, and
            # the next warm-up is asked for when it ends.
            self._wanted = None
            warmer.cancel()

    async def warmed(self, timeout_s: float = PROMPT_WARM_WAIT_S) -> None:
        """Wait (a bounded while) until the prompt the next reply starts with is evaluated, even when its
        warm-up still waits behind another session's: the time a listener gives the engine while hearing the
        greeting or the last reply out (`bench brain` and check runs wait so before each typed turn)."""
        warmer = self._warmer
        if warmer is not None and not warmer.done():
            await _bounded_wait(warmer, timeout_s)

    def _reserve(self, plan: ReplyPlan) -> int:
        """Context kept free of history: the reply, and the few-shot turns shown before the history."""
        return plan.options.max_tokens + sum(self._history.count_tokens(m.content) + 4 for m in plan.few_shot)

    async def close(self) -> None:
        """Stop waiting for background evaluation (llama.cpp finishes it on its own; openers stop)."""
        self._closed = True
        for task in list(self._warming):
            task.cancel()

    @staticmethod
    def _window(plan: ReplyPlan) -> int | None:
        # A 135M model copies its earlier replies and drifts into their language: show it less history.
        return SMALL_MODEL_HISTORY_TURNS if plan.english_only else None
