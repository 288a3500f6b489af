"""One spoken response: LLM tokens -> phrases -> TTS -> pcm16 deltas, cancellable at any moment.

Three stages overlap so the first audio leaves long before the reply is written:
  LLM thread (`ReplyWriter`)  --phrases-->  synthesis task (TTS in a worker thread)  --audio-->  emitter task
The synthesis task joins the phrases queued for it while the audio ahead leaves time (`phrase_joining`).
Paced (wire sessions), the emitter sends `CHUNK_MS` deltas at real time plus `PLAYBACK_LEAD_MS`, so what
was *sent* is close to what was *heard*: a barge-in keeps only the phrases that had started playing.
Unpaced (the Live bridge paces playout itself), a phrase leaves as one delta once made, and the client
says what was heard with `conversation.item.truncate` (model/embedded/truncation.py).

Cancellation is one call, `cancel()`: it sets the LLM's cancel event, cancels both tasks (a TTS call in
progress finishes in its thread but its audio is dropped) and emits `response.done` cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from model.audio import float_to_int16, resample
from model.embedded.reply.llm import ChatMessage
from model.embedded.reply.plan import ReplyPlan
from model.embedded.reply.write import ReplyStats, ReplyWriter
from model.embedded.shared import SharedModels
from model.embedded.speak.kokoro import SynthesisInterrupted
from model.embedded.speak.phrase_joining import SpeechBudget, next_phrase
from model.embedded.speak.phrase_text import join_phrases, phrase_separator
from model.embedded.speak.phrases import detect_language, speech_units
from model.embedded.truncation import SpokenPhrase, started_before
from model.embedded.workers import run_model_work
from model.events import (
    ContentPart,
    ConversationItem,
    ResponseAudioDelta,
    ResponseAudioDone,
    ResponseAudioTranscriptDelta,
    ResponseAudioTranscriptDone,
    ResponseDone,
    ResponseInfo,
    ServerEvent,
    TurnTimings,
    now_ms,
)

logger = logging.getLogger(__name__)

CHUNK_MS = 100  # size of one audio delta: small enough that a client flush cuts within ~0.1 s
PLAYBACK_LEAD_MS = 400  # how far ahead of real time audio may be sent


@dataclass
class ResponseRun:
    """A response in flight. `start()` it; `done` resolves to the assistant text to keep in history."""

    response_id: str
    item_id: str
    shared: SharedModels
    plan: ReplyPlan
    messages: Sequence[ChatMessage] | None  # the prompt; None means speak `fixed_text` (a greeting)
    emit: Callable[[ServerEvent], None]
    timings: TurnTimings
    output_rate: int
    pace: bool = True
    fixed_text: str | None = None
    on_finish: Callable[[str, str], None] | None = None  # (kept text, status), before `response.done`
    # Started early (at the speaker's pause, before the turn is known to be over): it writes and synthesises,
    # but emits nothing until `release()`; until then a cancel leaves no trace.
    held: bool = False
    # Awaited before the chat model is asked: the prompt being evaluated ahead of time (`SessionPrompts`).
    prompt_ready: Callable[[], Awaitable[None]] | None = None
    spoken: list[SpokenPhrase] = field(default_factory=list)
    _cancel: threading.Event = field(default_factory=threading.Event)  # the response is cancelled
    # The chat model must stop: cancelled, or the reply has said enough (its phrases are still spoken).
    _stop_llm: threading.Event = field(default_factory=threading.Event)
    _first_synthesis_done: threading.Event = field(default_factory=threading.Event)
    _stats: ReplyStats = field(default_factory=ReplyStats)
    _first_audio_wall: float | None = None
    _task: asyncio.Task[None] | None = None
    _finished: bool = False
    _heard: list[SpokenPhrase] | None = None  # once it has ended: the phrases the listener heard
    _heard_until_ms: float = float("inf")  # a truncation's point: phrases starting later were not heard
    _released: asyncio.Event | None = None
    done: asyncio.Future[str] | None = None

    def start(self) -> None:
        self.done = asyncio.get_running_loop().create_future()
        if self.held:
            self._released = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name=f"response {self.response_id}")

    def release(self) -> None:
        """A held response becomes the turn's answer: its audio and events may now go out."""
        if self._released is not None:
            self._released.set()

    @property
    def _unseen(self) -> bool:
        """Held and never released: the client has not heard of this response."""
        return self._released is not None and not self._released.is_set()

    @property
    def active(self) -> bool:
        return not self._finished

    async def cancel(self) -> None:
        """Stop generating and speaking now; emits `response.done` with status cancelled."""
        if self._finished:
            return
        self._stop_work()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._finish("cancelled")

    def drop(self) -> None:
        """Stop a held response that was never released, at once and without a trace (no events, no
        history). Synchronous, so callbacks can use it; the task winds down on its own."""
        if self._finished or not self._unseen:
            return
        self._stop_work()
        if self._task is not None:
            self._task.cancel()
        self._finish("cancelled")

    def _stop_work(self) -> None:
        """Stop the chat model and this response's synthesis: no unheard audio keeps the CPU busy."""
        self._cancel.set()
        self._stop_llm.set()
        self.shared.interrupt_synthesis(self.response_id)

    # ------------------------------------------------------------------ stages

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        phrases: asyncio.Queue[str | None] = asyncio.Queue()
        audio: asyncio.Queue[tuple[str, np.ndarray] | None] = asyncio.Queue()
        writer = ReplyWriter(
            self.response_id, self.shared, self.plan, self.messages or [],
            self._cancel, self._stop_llm, self._first_synthesis_done, self._stats,
        )  # fmt: skip
        if self.messages is None:
            for phrase in writer.fixed_phrases(self.fixed_text or ""):
                phrases.put_nowait(phrase)
            phrases.put_nowait(None)
        else:
            if self.prompt_ready is not None:
                await self.prompt_ready()
            thread = threading.Thread(
                target=writer.generate, args=(loop, phrases), name=f"llm {self.response_id}", daemon=True
            )
            thread.start()
        synthesis = asyncio.create_task(self._synthesize_all(phrases, audio))
        try:
            await self._emit_all(audio)
            await synthesis
        except asyncio.CancelledError:
            self._stop_work()
            synthesis.cancel()
            raise
        except Exception:
            logger.exception("response %s failed", self.response_id)
            self._stop_work()
            synthesis.cancel()
            self._finish("failed")
            return
        self._finish("completed")

    async def _synthesize_all(
        self, phrases: asyncio.Queue[str | None], out: asyncio.Queue[tuple[str, np.ndarray] | None]
    ) -> None:
        budget = SpeechBudget(speed=self.plan.speed)
        queued: deque[str | None] = deque()
        try:
            while True:
                if self.fixed_text is None:
                    phrase = await next_phrase(phrases, queued, budget, self._played_s)
                else:  # a greeting's phrases are cached as cut: never joined
                    phrase = await phrases.get()
                if phrase is None:
                    break
                self._stats.units_started += speech_units(phrase)  # the chat model may write on (`ReplyWriter`)
                language = detect_language(phrase)
                ahead_s = budget.made_s - self._played_s()  # audio left to play while this one is made
                try:
                    result = await run_model_work(
                        self.shared.synthesize,
                        phrase,
                        voice=self.plan.voice,
                        speed=self.plan.speed,
                        language=language,
                        owner=self.response_id,
                        cancelled=self._cancel,
                        recurring=self.fixed_text is not None,  # a greeting opens every conversation
                    )
                except SynthesisInterrupted:
                    return  # cancelled: nothing more will be spoken
                self._first_synthesis_done.set()
                made_s = result.audio.size / self.shared.tts_rate
                budget.record(phrase, made_s, result.elapsed_s, cached=result.cached)
                if result.audio.size == 0:
                    continue
                if self.timings.first_phrase_cached is None:
                    self.timings.first_phrase_cached = result.cached
                logger.debug(
                    "response %s: %.2f s of speech made in %.0f ms with %.2f s ahead%s: %r", self.response_id,
                    made_s, result.elapsed_s * 1000, ahead_s, " (cached)" if result.cached else "", phrase[:60],
                )  # fmt: skip
                if not result.cached:  # the real-time factor is the model's: phrases from the cache cost it nothing
                    self._stats.synth_s += result.elapsed_s
                    self._stats.audio_s += made_s
                samples = float_to_int16(resample(result.audio, self.shared.tts_rate, self.output_rate))
                out.put_nowait((phrase, samples))
        finally:
            self._first_synthesis_done.set()  # never leave a paused chat model waiting
            out.put_nowait(None)

    async def _emit_all(self, audio: asyncio.Queue[tuple[str, np.ndarray] | None]) -> None:
        offset_ms = 0.0
        if self._released is not None:
            await self._released.wait()
        while (item := await audio.get()) is not None:
            phrase, samples = item
            duration_ms = samples.size * 1000 / self.output_rate
            step = self.output_rate * CHUNK_MS // 1000 if self.pace else samples.size  # unpaced: one delta
            for index, begin in enumerate(range(0, samples.size, step)):
                await self._wait_for_playback(offset_ms + begin * 1000 / self.output_rate)
                if index == 0:
                    # Deltas add up to the final transcript exactly, spaces included, as a realtime client expects.
                    delta = phrase_separator(self.spoken[-1].text if self.spoken else "", phrase) + phrase
                    self.spoken.append(SpokenPhrase(phrase, offset_ms, duration_ms))
                    self.emit(self._part(ResponseAudioTranscriptDelta, delta=delta))
                self.emit(self._part(ResponseAudioDelta, delta=samples[begin : begin + step]))
                if self._first_audio_wall is None:
                    self._first_audio_wall = now_ms()
                    self.timings.first_audio_ms = self._first_audio_wall
            offset_ms += duration_ms

    def _played_s(self) -> float:
        """Seconds of this reply the listener has heard by now (0 before its first audio went out)."""
        return 0.0 if self._first_audio_wall is None else (now_ms() - self._first_audio_wall) / 1000

    async def _wait_for_playback(self, position_ms: float) -> None:
        if not self.pace or self._first_audio_wall is None:
            return
        ahead = position_ms - (now_ms() - self._first_audio_wall) - PLAYBACK_LEAD_MS
        if ahead > 0:
            await asyncio.sleep(ahead / 1000)

    # ------------------------------------------------------------------ results

    def truncate(self, audio_end_ms: int) -> str | None:
        """The listener heard `audio_end_ms` of this reply: only the phrases started by then are kept. Returns
        the text to keep when the reply has already ended (before, it ends with that text)."""
        self._heard_until_ms = audio_end_ms
        if self._heard is None:
            return None
        self._heard = started_before(self._heard, audio_end_ms)
        return join_phrases([p.text for p in self._heard])

    def _heard_phrases(self, status: str) -> list[SpokenPhrase]:
        """All of a completed reply; of a cancelled one, the phrases whose audio had started playing (paced: by
        the wall clock; unpaced, every phrase sent); none started after a truncation's point."""
        end_ms = self._heard_until_ms
        if status != "completed" and self.pace:
            end_ms = min(end_ms, self._played_s() * 1000)
        return started_before(self.spoken, end_ms)

    def _finish(self, status: str) -> None:
        if self._finished:
            return
        self._finished = True
        if self._unseen:  # an early start nobody adopted: no events, nothing for the history
            logger.debug("early response %s dropped (%s)", self.response_id, status)
            if self.done is not None and not self.done.done():
                self.done.set_result("")
            return
        self._heard = self._heard_phrases(status)
        text = join_phrases([p.text for p in self._heard])
        timings = self._stats.fill(self.timings)
        if self.on_finish is not None:
            self.on_finish(text, status)
        self.emit(self._part(ResponseAudioDone))
        self.emit(self._part(ResponseAudioTranscriptDone, transcript=text))
        item = ConversationItem(id=self.item_id, role="assistant", content=[ContentPart(type="audio", transcript=text)])
        info = ResponseInfo(id=self.response_id, status=status, output=[item], timings=timings)
        self.emit(ResponseDone(response=info))
        logger.info("response %s %s: %d phrases, %r", self.response_id, status, len(self.spoken), text[:80])
        if self.done is not None and not self.done.done():
            self.done.set_result(text)

    def _part(self, kind: type, **fields: object) -> ServerEvent:
        return kind(response_id=self.response_id, item_id=self.item_id, **fields)
