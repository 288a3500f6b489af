"""The writing stage of a spoken response: the chat model's stream cut into phrases, on a worker thread.

It runs beside synthesis and hands each phrase over as soon as it is complete and checked (`ReplyShaper`);
`ResponseRun` owns the events it watches: `cancel` (the response is cancelled) and `stop_llm` (the model
must stop: cancelled, or the reply has said enough), and `first_synthesis_done` (see `_stream_phrases`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from model.embedded.reply.llm import ChatMessage, GenerationOptions
from model.embedded.reply.plan import (
    ENGLISH_ONLY_APOLOGY,
    ReplyPlan,
    avoid_repeats_options,
    finished_part,
    retry_plan,
    without_copied_replies,
)
from model.embedded.reply.shape import ReplyShaper
from model.embedded.speak.phrases import PhraseSplitter, speech_units
from model.events import TurnTimings, now_ms

if TYPE_CHECKING:  # handed in by the session: the stage needs only its type, not the engine level
    from model.embedded.shared import SharedModels

logger = logging.getLogger(__name__)

# On a shared CPU the chat model stops while this much text (~5 s of speech) waits for the voice, and goes
# on once the voice is down to the last few words: the voice, not the writing, is what the listener waits
# for, and Kokoro beside llama.cpp made ~1.2 s of speech a second on 2 cores against ~1.6 alone.
PAUSE_AT_UNITS_WAITING = 15
RESUME_AT_UNITS_WAITING = 5


def fixed_phrases(text: str) -> list[str]:
    """Fixed text (a greeting) cut into the phrases a session speaks; the same cuts every time, since a
    greeting's phrase audio is cached."""
    splitter = PhraseSplitter(fixed_growth=True)
    shaper = ReplyShaper(max_sentences=50)
    pieces = [*splitter.feed(text), *splitter.flush()]
    # release(): a greeting may open with a phrase the shaper holds back ("I'm sorry,") until the next one.
    return [*(text for piece in pieces for text in shaper.accept(piece)), *shaper.release()]


def continuation_options(options: GenerationOptions, pieces_written: int) -> GenerationOptions:
    """Sampling for a reply taken up again where it paused: the tokens left, and no rule on how it opens (its
    opening is written; the next character may be an English word inside a Chinese sentence)."""
    return dataclasses.replace(options, max_tokens=max(8, options.max_tokens - pieces_written), opens_in_chinese=False)


@dataclass
class ReplyStats:
    """What one response measured, for `response.done` timings."""

    request_wall: float | None = None  # when the chat model was first asked
    first_token_wall: float | None = None
    last_token_wall: float | None = None
    pieces: int = 0
    synth_s: float = 0.0
    paused_s: float = 0.0  # the chat model waiting for the voice to catch up (not decoding time)
    audio_s: float = 0.0
    # Speech units (`phrases.speech_units`) handed to the voice, and those it has started to make: the
    # difference is the text waiting for the voice.
    units_handed: float = 0.0
    units_started: float = 0.0
    copies_asked_again: int = 0  # passes stopped because the reply opened with a copy of an earlier one

    @property
    def units_waiting(self) -> float:
        return self.units_handed - self.units_started

    def fill(self, timings: TurnTimings) -> TurnTimings:
        """These figures written into a response's `timings` (the same object, returned)."""
        timings.llm_first_token_ms = self.first_token_wall
        timings.reply_started_ms = self.request_wall
        timings.llm_tokens = self.pieces
        if self.pieces > 1 and self.first_token_wall and self.last_token_wall:
            span_s = (self.last_token_wall - self.first_token_wall) / 1000 - self.paused_s
            timings.llm_tokens_per_s = round((self.pieces - 1) / span_s, 1) if span_s > 0 else None
        if self.audio_s > 0:
            timings.tts_rtf = round(self.synth_s / self.audio_s, 3)
        return timings


@dataclass
class ReplyWriter:
    response_id: str
    shared: SharedModels
    plan: ReplyPlan
    messages: Sequence[ChatMessage]
    cancel: threading.Event
    stop_llm: threading.Event
    first_synthesis_done: threading.Event
    stats: ReplyStats = field(default_factory=ReplyStats)

    def fixed_phrases(self, text: str) -> list[str]:
        return fixed_phrases(text)

    def generate(self, loop: asyncio.AbstractEventLoop, out: asyncio.Queue[str | None]) -> None:
        """Worker thread: stream the chat model, cut phrases, hand each one over as soon as it is complete."""
        shaper = ReplyShaper(
            self.plan.max_sentences,
            english_only=self.plan.english_only,
            earlier_phrases=self.plan.earlier_phrases,
            expect_english=self.plan.language == "en",
            copy_guard=self.plan.copy_guard,
            instructions=self.plan.system_prompt,
        )
        self.stats.request_wall = now_ms()
        messages = self.messages or []
        try:
            handed = self._stream_phrases(messages, self.plan.options, shaper, loop, out)
            if shaper.copied_key is not None and not self.cancel.is_set():
                # It opened with words of an earlier reply and would go on copying it: stopped at once, it is
                # asked again with sampling that keeps off what the prompt already says.
                logger.info("response %s: the reply copied an earlier one; asking again", self.response_id)
                self.stats.copies_asked_again += 1
                # ... and without the reply it copied: a model copies what it can see.
                messages = without_copied_replies(messages, self.plan, shaper.copied_key)
                shaper.avoid_copies_again()
                self._go_on()
                handed = self._stream_phrases(messages, avoid_repeats_options(self.plan.options), shaper, loop, out)
            english_only_chinese = self.plan.english_only and self.plan.user_spoke_chinese
            if not handed and not self.cancel.is_set() and not english_only_chinese:
                # Nothing speakable came out (another language, a stock refusal, only copies of earlier
                # replies): ask once more and speak whatever that gives rather than stay silent.
                logger.info("response %s: nothing speakable in the reply; asking again", self.response_id)
                shaper.last_try()
                self._go_on()
                retry_messages, retry_options = retry_plan(self.plan, messages)
                handed = self._stream_phrases(retry_messages, retry_options, shaper, loop, out)
            if not handed and not self.cancel.is_set() and self.plan.english_only and self.plan.user_spoke_chinese:
                loop.call_soon_threadsafe(out.put_nowait, ENGLISH_ONLY_APOLOGY)
        except Exception:
            logger.exception("chat model failed in response %s", self.response_id)
        finally:
            with contextlib.suppress(RuntimeError):  # the loop is gone when the process is shutting down
                loop.call_soon_threadsafe(out.put_nowait, None)

    def _stream_phrases(
        self,
        messages: Sequence[ChatMessage],
        options: GenerationOptions,
        shaper: ReplyShaper,
        loop: asyncio.AbstractEventLoop,
        out: asyncio.Queue[str | None],
    ) -> int:
        """One reply's worth of chat model output; returns how many phrases were handed to synthesis.

        On a shared CPU the model stops once the first phrase is handed over and resumes (the text so far
        given back as the start of the assistant's message, which llama.cpp continues from its prompt
        cache) when that phrase's audio is made: decoding beside Kokoro slows the first audio ~1.8x on 2
        cores, and the rest of the reply is still written far faster than it is spoken. Later it stops
        likewise whenever PAUSE_AT_UNITS_WAITING of text wait for the voice (`_must_yield`).
        """
        splitter = PhraseSplitter()
        handed = 0
        written = ""  # what the model has written in this reply so far
        pieces = 0  # streamed pieces, a token each with llama.cpp: reaching the cap means it was cut off
        token_cap = options.max_tokens
        request = list(messages)

        def hand_over(pieces: list[str | None]) -> None:
            """Each phrase the shaper lets through, to the voice; None: the reply ends here."""
            nonlocal handed
            for piece in pieces:
                for text in shaper.accept(piece) if piece is not None else shaper.release():
                    handed += 1
                    self.stats.units_handed += speech_units(text)
                    loop.call_soon_threadsafe(out.put_nowait, text)
            if shaper.finished:
                self.stop_llm.set()  # enough said: stop the model instead of generating unheard text

        while True:
            paused = False
            for piece in self.shared.stream_chat(request, options, self.stop_llm):
                wall = now_ms()
                if self.stats.first_token_wall is None:
                    self.stats.first_token_wall = wall
                self.stats.last_token_wall = wall
                self.stats.pieces += 1
                pieces += 1
                written += piece
                hand_over(splitter.feed(piece))
                if self.stop_llm.is_set():
                    break
                if handed and self._must_yield():
                    paused = True
                    break  # leaving the stream stops llama.cpp's generation
            if not paused:
                break
            waited = time.perf_counter()
            logger.debug(
                "response %s: chat model paused, %.0f units waiting", self.response_id, self.stats.units_waiting
            )
            while not self.stop_llm.is_set() and not self._may_go_on():
                time.sleep(0.02)
            self.stats.paused_s += time.perf_counter() - waited
            if self.stop_llm.is_set():
                return handed
            request = [*messages, ChatMessage(role="assistant", content=written.rstrip())]
            options = continuation_options(options, self.stats.pieces)
        if not self.stop_llm.is_set():
            tail = splitter.flush()
            if handed and pieces >= token_cap and tail and finished_part(tail[-1]) != tail[-1]:
                # Cut off by the token limit mid-sentence: ending on the last finished clause is better than
                # trailing off mid-word ("...as they weave their secrets into the").
                logger.info("response %s: token limit hit mid-sentence; unfinished end not spoken: %r",
                            self.response_id, tail[-1][:60])  # fmt: skip
                tail = [*tail[:-1], *[kept for kept in [finished_part(tail[-1])] if kept]]
            hand_over([*tail, None])
        return handed

    def _go_on(self) -> None:
        """Another pass: `stop_llm` was set by the last pass's shaper (a cancel meanwhile still stops it)."""
        self.stop_llm.clear()
        if self.cancel.is_set():
            self.stop_llm.set()

    def _must_yield(self) -> bool:
        """Whether the chat model should stop writing for now and leave the CPU to the voice."""
        if not self.shared.llm_shares_cpu:
            return False
        return not self.first_synthesis_done.is_set() or self.stats.units_waiting >= PAUSE_AT_UNITS_WAITING

    def _may_go_on(self) -> bool:
        return self.first_synthesis_done.is_set() and self.stats.units_waiting <= RESUME_AT_UNITS_WAITING
