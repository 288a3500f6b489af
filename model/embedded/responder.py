"""One spoken response: LLM tokens -> phrases -> TTS -> paced pcm16 deltas, cancellable at any moment.

Three stages overlap so the first audio leaves long before the reply is written:
  LLM thread  --phrases-->  synthesis task (TTS in a worker thread)  --audio-->  emitter task
The emitter paces deltas at real time plus `PLAYBACK_LEAD_MS`, which keeps what was *sent* close to
what the listener has *heard*; on barge-in only the phrases whose audio had started playing are kept
as the assistant's turn (the history must not claim words the user never heard).

Cancellation is one call, `cancel()`: it sets the LLM's cancel event, cancels both tasks (a TTS call in
progress finishes in its thread but its audio is dropped) and emits `response.done` cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from model.embedded.audio import resample
from model.embedded.llm import ChatMessage, GenerationOptions
from model.embedded.phrases import PhraseSplitter, detect_language
from model.embedded.replies import (
    ENGLISH_ONLY_APOLOGY,
    ReplyPlan,
    ReplyShaper,
    english_retry_options,
    english_retry_prompt,
    finished_part,
    join_phrases,
)
from model.embedded.shared import SharedModels
from model.embedded.tts import SynthesisInterrupted
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
    encode_pcm16,
    now_ms,
)

logger = logging.getLogger(__name__)

CHUNK_MS = 100  # size of one audio delta: small enough that a client flush cuts within ~0.1 s
PLAYBACK_LEAD_MS = 400  # how far ahead of real time audio may be sent


@dataclass(frozen=True)
class SpokenPhrase:
    text: str
    start_ms: float  # offset of its first sample in the reply's audio
    duration_ms: float


@dataclass
class _Stats:
    first_token_wall: float | None = None
    last_token_wall: float | None = None
    pieces: int = 0
    synth_s: float = 0.0
    paused_s: float = 0.0  # the chat model waiting for the first phrase's audio (not decoding time)
    audio_s: float = 0.0


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
    spoken: list[SpokenPhrase] = field(default_factory=list)
    _cancel: threading.Event = field(default_factory=threading.Event)  # the response is cancelled
    # The chat model must stop: the response is cancelled, or the reply has said enough (its phrases are
    # still spoken). `_cancel` implies it.
    _stop_llm: threading.Event = field(default_factory=threading.Event)
    _first_synthesis_done: threading.Event = field(default_factory=threading.Event)
    _stats: _Stats = field(default_factory=_Stats)
    _first_audio_wall: float | None = None
    _task: asyncio.Task[None] | None = None
    _finished: bool = False
    done: asyncio.Future[str] | None = None

    def start(self) -> None:
        self.done = asyncio.get_running_loop().create_future()
        self._task = asyncio.create_task(self._run(), name=f"response {self.response_id}")

    @property
    def active(self) -> bool:
        return not self._finished

    async def cancel(self) -> None:
        """Stop generating and speaking now; emits `response.done` with status cancelled."""
        if self._finished:
            return
        self._cancel.set()
        self._stop_llm.set()
        self.shared.interrupt_synthesis(self.response_id)  # no unheard audio keeps the CPU busy
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._finish("cancelled")

    # ------------------------------------------------------------------ stages

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        phrases: asyncio.Queue[str | None] = asyncio.Queue()
        audio: asyncio.Queue[tuple[str, np.ndarray] | None] = asyncio.Queue()
        if self.messages is None:
            for phrase in self._fixed_phrases():
                phrases.put_nowait(phrase)
            phrases.put_nowait(None)
        else:
            thread = threading.Thread(
                target=self._generate, args=(loop, phrases), name=f"llm {self.response_id}", daemon=True
            )
            thread.start()
        synthesis = asyncio.create_task(self._synthesize_all(phrases, audio))
        try:
            await self._emit_all(audio)
            await synthesis
        except asyncio.CancelledError:
            self._cancel.set()
            self._stop_llm.set()
            synthesis.cancel()
            raise
        except Exception:
            logger.exception("response %s failed", self.response_id)
            self._cancel.set()
            self._stop_llm.set()
            synthesis.cancel()
            self._finish("failed")
            return
        self._finish("completed")

    def _fixed_phrases(self) -> list[str]:
        splitter = PhraseSplitter()
        shaper = ReplyShaper(max_sentences=50)
        pieces = [*splitter.feed(self.fixed_text or ""), *splitter.flush()]
        return [text for piece in pieces for text in shaper.accept(piece)]

    def _generate(self, loop: asyncio.AbstractEventLoop, out: asyncio.Queue[str | None]) -> None:
        """Worker thread: stream the chat model, cut phrases, hand each one over as soon as it is complete."""
        shaper = ReplyShaper(
            self.plan.max_sentences,
            english_only=self.plan.english_only,
            earlier_phrases=self.plan.earlier_phrases,
            expect_english=self.plan.language == "en",
        )
        try:
            handed = self._stream_phrases(self.messages or [], self.plan.options, shaper, loop, out)
            if not handed and not self._cancel.is_set() and not self.plan.user_spoke_chinese:
                # Nothing speakable came out (another language, or only copies of earlier replies): ask once
                # more, plainly and less randomly, and speak whatever that gives rather than stay silent.
                logger.info("response %s: nothing speakable in the reply; asking again", self.response_id)
                shaper.last_try()
                self._stop_llm.clear()  # set by the first pass's shaper, never by a cancel (checked above)
                handed = self._stream_phrases(
                    english_retry_prompt(self.messages or []),
                    english_retry_options(self.plan.options),
                    shaper,
                    loop,
                    out,
                )
            if not handed and not self._cancel.is_set() and self.plan.english_only and self.plan.user_spoke_chinese:
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
        cores, and the rest of the reply is still written far faster than it is spoken.
        """
        splitter = PhraseSplitter()
        handed = 0
        written = ""  # what the model has written in this reply so far
        pieces = 0  # streamed pieces, a token each with llama.cpp: reaching the cap means it was cut off
        token_cap = options.max_tokens
        request = list(messages)

        def hand_over(pieces: list[str]) -> None:
            nonlocal handed
            for piece in pieces:
                for text in shaper.accept(piece):
                    handed += 1
                    loop.call_soon_threadsafe(out.put_nowait, text)
            if shaper.finished:
                self._stop_llm.set()  # enough said: stop the model instead of generating unheard text

        while True:
            yield_cpu = self.shared.llm_shares_cpu and not self._first_synthesis_done.is_set()
            paused = False
            for piece in self.shared.stream_chat(request, options, self._stop_llm):
                wall = now_ms()
                if self._stats.first_token_wall is None:
                    self._stats.first_token_wall = wall
                self._stats.last_token_wall = wall
                self._stats.pieces += 1
                pieces += 1
                written += piece
                hand_over(splitter.feed(piece))
                if self._stop_llm.is_set():
                    break
                if yield_cpu and handed:
                    paused = True
                    break  # leaving the stream stops llama.cpp's generation
            if not paused:
                break
            waited = time.perf_counter()
            while not self._stop_llm.is_set() and not self._first_synthesis_done.wait(0.05):
                pass
            self._stats.paused_s += time.perf_counter() - waited
            if self._stop_llm.is_set():
                return handed
            request = [*messages, ChatMessage(role="assistant", content=written.rstrip())]
            options = dataclasses.replace(options, max_tokens=max(8, options.max_tokens - self._stats.pieces))
        if not self._stop_llm.is_set():
            tail = splitter.flush()
            if handed and pieces >= token_cap and tail and finished_part(tail[-1]) != tail[-1]:
                # Cut off by the token limit mid-sentence: ending on the last finished clause is better than
                # trailing off mid-word ("...as they weave their secrets into the").
                logger.info("response %s: token limit hit mid-sentence; unfinished end not spoken: %r",
                            self.response_id, tail[-1][:60])  # fmt: skip
                tail = [kept for kept in [finished_part(tail[-1])] if kept]
            hand_over(tail)
        return handed

    async def _synthesize_all(
        self, phrases: asyncio.Queue[str | None], out: asyncio.Queue[tuple[str, np.ndarray] | None]
    ) -> None:
        try:
            while (phrase := await phrases.get()) is not None:
                language = detect_language(phrase)
                try:
                    result = await asyncio.to_thread(
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
                if result.audio.size == 0:
                    continue
                if self.timings.first_phrase_cached is None:
                    self.timings.first_phrase_cached = result.cached
                if not result.cached:  # the real-time factor is the model's: phrases from the cache cost it nothing
                    self._stats.synth_s += result.elapsed_s
                    self._stats.audio_s += result.audio.size / self.shared.tts_rate
                samples = resample(result.audio, self.shared.tts_rate, self.output_rate)
                out.put_nowait((phrase, samples))
        finally:
            self._first_synthesis_done.set()  # never leave a paused chat model waiting
            out.put_nowait(None)

    async def _emit_all(self, audio: asyncio.Queue[tuple[str, np.ndarray] | None]) -> None:
        chunk = self.output_rate * CHUNK_MS // 1000
        offset_ms = 0.0
        while (item := await audio.get()) is not None:
            phrase, samples = item
            duration_ms = samples.size * 1000 / self.output_rate
            for index, begin in enumerate(range(0, samples.size, chunk)):
                await self._wait_for_playback(offset_ms + begin * 1000 / self.output_rate)
                if index == 0:
                    self.spoken.append(SpokenPhrase(phrase, offset_ms, duration_ms))
                    self.emit(self._part(ResponseAudioTranscriptDelta, delta=phrase))
                self.emit(self._part(ResponseAudioDelta, delta=encode_pcm16(samples[begin : begin + chunk])))
                if self._first_audio_wall is None:
                    self._first_audio_wall = now_ms()
                    self.timings.first_audio_ms = self._first_audio_wall
            offset_ms += duration_ms

    async def _wait_for_playback(self, position_ms: float) -> None:
        if not self.pace or self._first_audio_wall is None:
            return
        ahead = position_ms - (now_ms() - self._first_audio_wall) - PLAYBACK_LEAD_MS
        if ahead > 0:
            await asyncio.sleep(ahead / 1000)

    # ------------------------------------------------------------------ results

    def heard_text(self) -> str:
        """The phrases whose audio had started playing by now (all of them once the reply is complete)."""
        if self._first_audio_wall is None:
            return ""
        played_ms = now_ms() - self._first_audio_wall if self.pace else float("inf")
        return join_phrases([p.text for p in self.spoken if p.start_ms <= played_ms])

    def _part(self, kind: type, **fields: object) -> ServerEvent:
        return kind(response_id=self.response_id, item_id=self.item_id, **fields)

    def _finish(self, status: str) -> None:
        if self._finished:
            return
        self._finished = True
        text = join_phrases([p.text for p in self.spoken]) if status == "completed" else self.heard_text()
        stats, timings = self._stats, self.timings
        timings.llm_first_token_ms = stats.first_token_wall
        timings.llm_tokens = stats.pieces
        if stats.pieces > 1 and stats.first_token_wall and stats.last_token_wall:
            span_s = (stats.last_token_wall - stats.first_token_wall) / 1000 - stats.paused_s
            timings.llm_tokens_per_s = round((stats.pieces - 1) / span_s, 1) if span_s > 0 else None
        if stats.audio_s > 0:
            timings.tts_rtf = round(stats.synth_s / stats.audio_s, 3)
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
