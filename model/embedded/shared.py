"""The process-wide models, wrapped so concurrent sessions use them safely from worker threads.

Whisper and Kokoro calls are serialised per model kind: both are thread-safe, but on 2 cores two
calls of the same kind side by side only oversubscribe the cores and delay the first one, while one
after the other the first finishes in half the time. Different kinds (one session's ASR, another's TTS)
still run in parallel. The chat model is NOT locked: llama.cpp decodes concurrent requests together in
parallel slots (continuous batching), which is what keeps two sessions in real time. The VAD graph and
the end-of-turn model are called from the event loop with per-session state.

Synthesised speech that comes back (greetings, short openers) is kept in one `PhraseAudioCache` per
engine; openers made ahead of time give way to any real turn (`prewarm_openers`).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import onnxruntime as ort

from model.embedded.listen.asr import Transcript
from model.embedded.models import EmbeddedModels
from model.embedded.reply.llm import ChatMessage, GenerationOptions
from model.embedded.speak.kokoro import SynthesisInterrupted
from model.embedded.speak.phrase_cache import OPENERS, PhraseAudioCache

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Synthesis:
    audio: np.ndarray  # float32 mono at `SharedModels.tts_rate`
    elapsed_s: float
    cached: bool = False  # made earlier (phrase_cache): no model time, so no real-time factor either


@dataclass
class SharedModels:
    models: EmbeddedModels
    llm_writes_chinese: bool  # False for the packaged English-only SmolLM2
    copy_guard: bool = True  # EmbeddedOptions.copy_guard
    _asr_lock: threading.Lock = field(default_factory=threading.Lock)
    _tts_lock: threading.Lock = field(default_factory=threading.Lock)
    _tts_running: tuple[str | None, ort.RunOptions] | None = None  # whose synthesis runs now
    phrase_audio: PhraseAudioCache = field(default_factory=PhraseAudioCache)
    # Real work (a turn's ASR, a reply's synthesis) in flight: making opener audio ahead of time waits for none.
    _real_work: int = 0
    _real_work_lock: threading.Lock = field(default_factory=threading.Lock)
    _prewarm_running: ort.RunOptions | None = None

    @property
    def tts_rate(self) -> int:
        return self.models.tts.sample_rate

    def voice_ids(self) -> list[str]:
        return [voice.id for voice in self.models.voices]

    def transcribe(self, audio_16k: np.ndarray, language: str) -> Transcript:
        with self._real_work_in_flight(), self._asr_lock:
            return self.models.asr.transcribe(audio_16k, language)

    def synthesize(
        self,
        text: str,
        *,
        voice: str,
        speed: float,
        language: str,
        owner: str | None = None,
        cancelled: threading.Event | None = None,
        recurring: bool = False,
    ) -> Synthesis:
        """Speech for `text`; `owner` (a response id) can stop it midway with `interrupt_synthesis`, and a
        set `cancelled` skips it when its turn at the model comes. Raises SynthesisInterrupted then.
        Short phrases made before, and `recurring` ones (a greeting), come back at once (`phrase_cache`)."""
        key = self.phrase_audio.key(text, voice=voice, speed=speed, language=language)
        cached = self.phrase_audio.get(key)
        if cached is not None:
            if cancelled is not None and cancelled.is_set():
                raise SynthesisInterrupted(text)
            return Synthesis(cached, 0.0, cached=True)
        with self._real_work_in_flight(), self._tts_lock:
            if cancelled is not None and cancelled.is_set():
                raise SynthesisInterrupted(text)
            cached = self.phrase_audio.get(key)  # made while this waited for the voice (sessions opening at once)
            if cached is not None:
                return Synthesis(cached, 0.0, cached=True)
            started = time.perf_counter()
            run_options = ort.RunOptions()
            self._tts_running = (owner, run_options)
            try:
                audio = self.models.tts.synthesize(
                    text, voice=voice, speed=speed, language=language, run_options=run_options
                )
            finally:
                self._tts_running = None
            audio = np.asarray(audio, dtype=np.float32).reshape(-1)
            self.phrase_audio.put(key, audio, recurring=recurring)
            return Synthesis(audio, time.perf_counter() - started)

    def prewarm_openers(
        self, *, voice: str, speed: float, languages: Sequence[str], keep_going: Callable[[], bool] = lambda: True
    ) -> int:
        """Worker thread: make the audio of the usual reply openers for this voice ahead of time.

        Background work only: it gives way at once to any turn's ASR or synthesis (a running opener is
        stopped midway and tried again at the next call), so it never delays a reply; it also stops
        when `keep_going()` turns false (the session closed). Returns how many openers were made now."""
        made = 0
        for language in languages:
            for text in OPENERS.get(language, ()):
                key = self.phrase_audio.key(text, voice=voice, speed=speed, language=language)
                if key in self.phrase_audio:
                    continue
                if not keep_going() or self._real_work or not self._tts_lock.acquire(blocking=False):
                    return made
                try:
                    run_options = ort.RunOptions()
                    self._prewarm_running = run_options
                    if self._real_work:  # a turn came between the check above and now
                        return made
                    audio = self.models.tts.synthesize(
                        text, voice=voice, speed=speed, language=language, run_options=run_options
                    )
                except SynthesisInterrupted:
                    return made
                finally:
                    self._prewarm_running = None
                    self._tts_lock.release()
                self.phrase_audio.put(key, np.asarray(audio, dtype=np.float32).reshape(-1))
                made += 1
        return made

    @contextlib.contextmanager
    def _real_work_in_flight(self) -> Iterator[None]:
        with self._real_work_lock:
            self._real_work += 1
        prewarm = self._prewarm_running
        if prewarm is not None:
            prewarm.terminate = True  # the opener being made ahead of time gives way to this turn
        try:
            yield
        finally:
            with self._real_work_lock:
                self._real_work -= 1

    def interrupt_synthesis(self, owner: str) -> None:
        """Stop `owner`'s synthesis if it is the one running now (it raises SynthesisInterrupted)."""
        running = self._tts_running
        if running is not None and running[0] == owner:
            running[1].terminate = True

    def stream_chat(
        self, messages: Sequence[ChatMessage], options: GenerationOptions, cancel: threading.Event
    ) -> Iterator[str]:
        """The reply's pieces until it ends or `cancel` is set. A chat model on this CPU counts as real work:
        openers made ahead of time give way to it too (a typed turn has no ASR that would stop them, and
        Kokoro beside llama.cpp's prompt evaluation made first tokens 0.5–3.5 s late)."""
        if cancel.is_set():
            return
        busy = self._real_work_in_flight() if self.llm_shares_cpu else contextlib.nullcontext()
        with busy:  # left when the reply ends or its reader stops iterating
            yield from self.models.llm.stream_chat(messages, options, cancel)

    def count_tokens(self, text: str) -> int:
        return self.models.llm.count_tokens(text)

    @property
    def llm_shares_cpu(self) -> bool:
        """True when the chat model decodes on this machine's CPU, beside Whisper and Kokoro."""
        return bool(getattr(self.models.llm, "runs_on_this_machine", False))

    def warm_prompt(self, messages: Sequence[ChatMessage]) -> None:
        """Pre-evaluate a prompt prefix (the system prompt) so the next reply's first token comes sooner.
        Only an optimisation: a failure is logged, never surfaced to the conversation."""
        try:
            self.models.llm.warm_prompt(messages)
        except Exception:
            logger.warning("could not warm the chat prompt", exc_info=True)

    @property
    def context_tokens(self) -> int:
        return self.models.llm.context_tokens
