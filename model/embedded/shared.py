"""The process-wide models, wrapped so concurrent sessions use them safely from worker threads.

Whisper and Kokoro calls are serialised per model kind: both are thread-safe, but on 2 cores two
calls of the same kind side by side only oversubscribe the cores and delay the first one, while one
after the other the first finishes in half the time. Different kinds (one session's ASR, another's TTS)
still run in parallel. The chat model is NOT locked: llama.cpp decodes concurrent requests together in
parallel slots (continuous batching), which is what keeps two sessions in real time. The VAD graph and
the end-of-turn model are called from the event loop with per-session state.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import onnxruntime as ort

from model.embedded.asr import Transcript
from model.embedded.llm import ChatMessage, GenerationOptions
from model.embedded.models import EmbeddedModels
from model.embedded.tts import SynthesisInterrupted

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Synthesis:
    audio: np.ndarray  # float32 mono at `SharedModels.tts_rate`
    elapsed_s: float


@dataclass
class SharedModels:
    models: EmbeddedModels
    llm_writes_chinese: bool  # False for the packaged English-only SmolLM2
    _asr_lock: threading.Lock = field(default_factory=threading.Lock)
    _tts_lock: threading.Lock = field(default_factory=threading.Lock)
    _tts_running: tuple[str | None, ort.RunOptions] | None = None  # whose synthesis runs now

    @property
    def tts_rate(self) -> int:
        return self.models.tts.sample_rate

    def voice_ids(self) -> list[str]:
        return [voice.id for voice in self.models.voices]

    def transcribe(self, audio_16k: np.ndarray, language: str) -> Transcript:
        with self._asr_lock:
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
    ) -> Synthesis:
        """Speech for `text`; `owner` (a response id) can stop it midway with `interrupt_synthesis`, and a
        set `cancelled` skips it when its turn at the model comes. Raises SynthesisInterrupted then."""
        with self._tts_lock:
            if cancelled is not None and cancelled.is_set():
                raise SynthesisInterrupted(text)
            started = time.perf_counter()
            run_options = ort.RunOptions()
            self._tts_running = (owner, run_options)
            try:
                audio = self.models.tts.synthesize(
                    text, voice=voice, speed=speed, language=language, run_options=run_options
                )
            finally:
                self._tts_running = None
            return Synthesis(np.asarray(audio, dtype=np.float32).reshape(-1), time.perf_counter() - started)

    def interrupt_synthesis(self, owner: str) -> None:
        """Stop `owner`'s synthesis if it is the one running now (it raises SynthesisInterrupted)."""
        running = self._tts_running
        if running is not None and running[0] == owner:
            running[1].terminate = True

    def stream_chat(
        self, messages: Sequence[ChatMessage], options: GenerationOptions, cancel: threading.Event
    ) -> Iterator[str]:
        """The reply's pieces until it ends or `cancel` is set."""
        if cancel.is_set():
            return
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
