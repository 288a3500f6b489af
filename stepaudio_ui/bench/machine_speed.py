"""How fast this machine runs each embedded model alone, before `bench engine` times whole turns.

Turn latencies say little on their own: the same code gave 715 ms and ~1050 ms end of speech -> first
audio (fast voice) on two days on 2 cores of the same kind of machine, and Smart Turn, Kokoro, Piper and
the chat model's decoding ran 2-4x slower on the slower day than when the models were first chosen and
measured. So the bench first times the cascade's stages one at a time on an idle CPU (Smart Turn,
Whisper, the chat model, both voices) and prints them next to the turn figures: a reader can then tell a
slower machine from a slower change, and see which stage a target is bound by.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable

import numpy as np

from model.audio import resample
from model.embedded.models import EmbeddedModels
from model.embedded.reply.llm import ChatMessage, GenerationOptions
from model.embedded.speak.voices import DEFAULT_VOICE_ID, FAST_VOICE_ID
from stepaudio_ui.bench.utterances import SAMPLE_RATE, Utterance, trim_silence

REPEATS = 3
# A sentence of ~3.5 s of speech, and a short opener, both as a first phrase might be.
SENTENCE = "Sure, I can help you plan a quick breakfast with two eggs and some toast."
OPENER = "Sure, I can help."
_QUESTIONS = ("How do I reset my router?", "Why is my bill higher this month?", "Can you set up my voicemail?")
_SYSTEM = "You are Ada, a cheerful and helpful voice assistant. Answer the question directly and briefly."


def _median_s(work: Callable[[], object], repeats: int = REPEATS) -> float:
    """Median wall time of `work` after one untimed warm-up call."""
    work()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _speech_16k(utterance: Utterance) -> np.ndarray:
    return resample(trim_silence(utterance.audio), SAMPLE_RATE, 16_000).astype(np.float32)


def _synthesis(models: EmbeddedModels, voice: str, text: str, repeats: int) -> tuple[float, float]:
    """(seconds to make `text`, seconds of speech made) with `voice`."""
    audio: list[np.ndarray] = []

    def speak() -> None:
        audio[:] = [models.tts.synthesize(text, voice=voice, speed=1.0, language="en")]

    elapsed = _median_s(speak, repeats)
    return elapsed, audio[0].size / models.tts.sample_rate


def _chat(models: EmbeddedModels) -> tuple[float, float]:
    """(median time to first token, median tokens/s after it) for short questions under a cached system
    prompt. llama.cpp's server streams one token per piece, so pieces are counted as tokens."""
    system = ChatMessage("system", _SYSTEM)
    models.llm.warm_prompt([system])
    first_token_s, rates = [], []
    for question in _QUESTIONS:
        started, first, pieces = time.perf_counter(), None, 0
        options = GenerationOptions(max_tokens=32)
        for _ in models.llm.stream_chat([system, ChatMessage("user", question)], options, threading.Event()):
            first = first if first is not None else time.perf_counter() - started
            pieces += 1
        total = time.perf_counter() - started
        if first is not None:
            first_token_s.append(first)
            if pieces > 1 and total > first:
                rates.append((pieces - 1) / (total - first))
    return statistics.median(first_token_s), statistics.median(rates) if rates else float("nan")


def measure_models_alone(
    models: EmbeddedModels, utterance: Utterance, repeats: int = REPEATS
) -> dict[str, float | None]:
    """Each stage of the cascade timed alone on this machine (`alone_*` keys, ms or real-time factors).

    `utterance` is an English question, as the turns will use (Whisper tiny.en)."""
    speech = _speech_16k(utterance)
    figures: dict[str, float | None] = {"alone_utterance_s": round(speech.size / 16_000, 2)}
    turn_model = models.turn_model
    figures["alone_smart_turn_ms"] = (
        round(_median_s(lambda: turn_model.probability_complete(speech), repeats) * 1000, 1) if turn_model else None
    )
    figures["alone_asr_ms"] = round(_median_s(lambda: models.asr.transcribe(speech, "en"), repeats) * 1000, 1)
    if models.llm.runs_on_this_machine:
        first_token_s, tokens_per_s = _chat(models)
        figures["alone_llm_ttft_ms"] = round(first_token_s * 1000, 1)
        figures["alone_llm_tokens_per_s"] = round(tokens_per_s, 1)
    for voice, key in ((DEFAULT_VOICE_ID, "kokoro"), (FAST_VOICE_ID, "fast_voice")):
        sentence_s, sentence_audio_s = _synthesis(models, voice, SENTENCE, repeats)
        opener_s, _ = _synthesis(models, voice, OPENER, repeats)
        figures[f"alone_{key}_rtf"] = round(sentence_s / sentence_audio_s, 3)
        figures[f"alone_{key}_opener_ms"] = round(opener_s * 1000, 1)
    return figures
