"""Load every model of the embedded engine once per process and share them between sessions."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np

from model.audio import resample
from model.embedded.listen.asr import SpeechRecognizer, WhisperAsr
from model.embedded.reply.brain_files import brain_file
from model.embedded.reply.brains import DEFAULT_BRAIN_ID, brain_by_id
from model.embedded.reply.english_words import english_lexicon
from model.embedded.reply.llm import ChatMessage, ChatModel, GenerationOptions, LlamaCppChat, OpenAICompatibleChat
from model.embedded.speak.kokoro import KokoroTts, SpeechSynthesizer
from model.embedded.speak.piper import PiperTts
from model.embedded.speak.voice_router import VoiceRouter
from model.embedded.speak.voices import DEFAULT_VOICE_ID, FAST_VOICE_ID, voice_catalogue
from model.protocol import VoiceInfo
from model.turn.smart_turn import EndOfTurnModel, SmartTurnV3, packaged_smart_turn_path
from model.turn.vad import SileroVadModel

logger = logging.getLogger(__name__)
Loaded = TypeVar("Loaded")


@dataclass(frozen=True)
class EmbeddedOptions:
    # The packaged brain (model/embedded/reply/brains.py) sessions use unless they pick another; a GGUF path or
    # an OpenAI-compatible URL replaces the packaged brains altogether.
    brain: str = DEFAULT_BRAIN_ID
    # Where split brains are joined once (None: the user's cache folder, `brain_files.default_cache_dir`).
    brain_cache_dir: Path | None = None
    gguf_path: Path | None = None
    openai_url: str | None = None
    openai_key: str | None = None
    openai_model: str = "gpt-4o-mini"
    # 1, not 2: measured on a shared 2-core machine, llama.cpp's thread barriers stall whenever another
    # model (TTS, ASR, a second session) holds a core: 30 tokens took 0.6 CPU-s on 1 thread, 5-22 CPU-s on 2.
    llm_threads: int = 1
    # Prompt evaluation (the new turn's tokens); None: 2 threads on 4+ cores, else `llm_threads`. Measured
    # on 2 cores: with nothing else busy, 2 threads gave first tokens sooner (bench engine p50 93 vs 142 ms;
    # two sessions 205 vs 360 ms), but with Chromium holding a core much later (bench live 405-717 vs 101-249 ms).
    llm_batch_threads: int | None = None
    cache_dir: Path | None = None
    # The CPU models besides the LLM (Whisper, Kokoro); 2 matches the machines this targets.
    model_threads: int = 2
    # Niceness of the model threads (0: none; Linux only). Above 0 they give way to the event loop that paces
    # reply audio: when it woke late, frames left in bursts and Chrome held more audio before playing it.
    # bench live, fast voice, 3 runs each: Chrome's jitter-buffer target 132-159 ms at 5 vs 183-279 ms at 0.
    # But they also give way to anything else on the machine: with the browser on the same 2 cores (bench
    # live), Kokoro's first phrase took 2.9 s at 5 vs 2.3 s at 0 (one run each), so it is off by default.
    model_nice: int = 0
    # Smart Turn v3.2 when its file is installed; set False to rely on silence timing alone.
    semantic_turn: bool = True
    # A bilingual brain's reply that opens with words of an earlier reply is stopped and asked again
    # (reply_shaper.py). Off only to measure what it does: `stepaudio-ui bench brain --without-copy-guard`.
    copy_guard: bool = True


@dataclass
class EmbeddedModels:
    vad_model: SileroVadModel
    turn_model: EndOfTurnModel | None
    asr: SpeechRecognizer
    llm: ChatModel
    tts: SpeechSynthesizer
    voices: list[VoiceInfo]


def _timed(label: str, load: Callable[[], Loaded]) -> Loaded:
    started = time.perf_counter()
    loaded = load()
    logger.info("Loaded %s in %.2f s", label, time.perf_counter() - started)
    return loaded


def load_chat_model(options: EmbeddedOptions, brain_id: str | None = None) -> ChatModel:
    """The chat model `options` name: an OpenAI-compatible endpoint, your own GGUF, or a packaged brain
    (`brain_id`, default `options.brain`; its file joined and verified first, see brain_files)."""
    if options.openai_url:
        return OpenAICompatibleChat(options.openai_url, options.openai_key, options.openai_model)
    threads = {"threads": options.llm_threads, "batch_threads": options.llm_batch_threads}
    if options.gguf_path is not None:
        return LlamaCppChat(options.gguf_path, **threads)
    brain = brain_by_id(brain_id or options.brain)
    return LlamaCppChat(
        brain_file(brain, options.brain_cache_dir), **threads, brain_id=brain.id, writes_chinese=brain.writes_chinese
    )


def warm_chat_model(llm: ChatModel) -> None:
    """Two tokens through the chat model, so its first real reply does not pay for llama.cpp's start-up."""
    cancel = threading.Event()
    try:
        for _ in llm.stream_chat([ChatMessage("user", "Hi")], GenerationOptions(max_tokens=2), cancel):
            pass
    except Exception as error:  # a remote brain may be down at start; the session reports it per turn
        logger.warning("Chat model warm-up failed (%s): replies will fail until it is reachable.", error)


def _turn_model(options: EmbeddedOptions) -> EndOfTurnModel | None:
    if not options.semantic_turn:
        return None
    if packaged_smart_turn_path() is None:
        logger.warning(
            "Smart Turn v3.2 not installed (`pip install pipecat-ai==1.14.0`): end of turn uses silence only."
        )
        return None
    return SmartTurnV3()


_load_lock = threading.Lock()


def load_models(options: EmbeddedOptions) -> EmbeddedModels:
    """Load each model once (ASR sizes load on first use unless `warm_up` runs). Call once per process
    and share the result: every object here is safe to use from concurrent sessions."""
    with _load_lock:
        started = time.perf_counter()
        models = EmbeddedModels(
            vad_model=_timed("Silero VAD", SileroVadModel.load),
            turn_model=_timed("end-of-turn model", lambda: _turn_model(options)),
            asr=WhisperAsr(threads=options.model_threads),
            llm=_timed("chat model", lambda: load_chat_model(options)),
            tts=VoiceRouter(
                _timed("Kokoro TTS", lambda: KokoroTts(options.cache_dir, threads=options.model_threads)),
                _timed("Piper TTS", lambda: PiperTts(threads=options.model_threads)),
            ),
            voices=voice_catalogue(),
        )
        logger.info("Embedded engine models ready in %.2f s (chat: %s)", time.perf_counter() - started, models.llm.name)
        return models


def warm_up(models: EmbeddedModels) -> None:
    """One tiny run of each model (both Whisper sizes, both TTS languages) so the first turn is fast."""
    started = time.perf_counter()
    models.vad_model.new_stream().speech_probability(np.zeros(512, dtype=np.float32))
    english = models.tts.synthesize("Hello there.", voice=DEFAULT_VOICE_ID, speed=1.0, language="en")
    mandarin = models.tts.synthesize("你好。", voice=DEFAULT_VOICE_ID, speed=1.0, language="zh")
    models.tts.synthesize("Hello there.", voice=FAST_VOICE_ID, speed=1.0, language="en")
    english_16k = resample(english, models.tts.sample_rate, 16_000)
    if models.turn_model is not None:
        models.turn_model.probability_complete(english_16k)
    models.asr.transcribe(english_16k, "en")
    models.asr.transcribe(resample(mandarin, models.tts.sample_rate, 16_000), "zh")
    english_lexicon()  # the reply-language check's word list (~0.2 s to read)
    warm_chat_model(models.llm)
    logger.info("Embedded engine warmed up in %.2f s", time.perf_counter() - started)
