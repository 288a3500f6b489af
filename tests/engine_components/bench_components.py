"""Benchmark of the embedded engine's models, one by one: load times, VAD cost per frame, ASR speed and
accuracy, LLM time to first token and speed, TTS real-time factor and first-phrase latency (en and zh).

    HF_HUB_OFFLINE=1 python -m tests.engine_components.bench_components [--repeats 3]

Prints a readable table, then one JSON line with every figure. Test speech is made by Kokoro itself.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from model.audio import resample
from model.embedded.listen.asr import WhisperAsr
from model.embedded.reply.llm import ChatMessage, GenerationOptions, LlamaCppChat
from model.embedded.speak.kokoro import KokoroTts
from model.embedded.speak.phrases import PhraseSplitter
from model.turn.smart_turn import SmartTurnV3
from model.turn.vad import SileroVadModel
from tests.engine_components.speech_metrics import character_error_rate, word_error_rate

ENGLISH = [
    "The weather is lovely today, so we are going for a walk in the park.",
    "Please book a table for two people at seven o'clock tonight.",
    "My favourite colour is blue and I like to drink green tea.",
    "Could you remind me to call my sister after lunch tomorrow?",
]
MANDARIN = [
    "今天天气很好，我们一起去公园散步吧。",
    "请帮我订一张明天去上海的火车票。",
    "我最喜欢的水果是苹果和香蕉。",
]
# (text, language, finished?) for Smart Turn: whole questions and statements vs turns cut mid-clause.
TURN_CASES = [
    ("What's the weather like in Paris today?", "en", True),
    ("Can you recommend a good book?", "en", True),
    ("I'd like a cup of green tea, please.", "en", True),
    ("Thanks, that's all for now.", "en", True),
    ("So I was thinking that maybe we could", "en", False),
    ("I would like to order a", "en", False),
    ("The thing is, when I went to the", "en", False),
    ("Could you tell me whether the", "en", False),
    ("我想去北京旅游。", "zh", True),
    ("你今天过得怎么样？", "zh", True),
    ("我想问一下，那个", "zh", False),
    ("如果明天下雨的话，我们就", "zh", False),
]
REPLY_EN = "That sounds like a lovely plan, and the weather should hold. Bring a warm jacket, just in case."
REPLY_ZH = "这个计划听起来很不错，天气应该也会很好。记得带一件外套，以防万一。"


def _timed(action: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def _cpu_timed(action: Callable[[], Any]) -> tuple[Any, float, float]:
    """Result, wall seconds and CPU seconds of this process (all threads). On a shared, busy machine
    the CPU figure is the steadier one: wall time includes waiting for other people's processes."""
    started, cpu_started = time.perf_counter(), time.process_time()
    result = action()
    return result, time.perf_counter() - started, time.process_time() - cpu_started


def _first_phrase(text: str) -> str:
    splitter = PhraseSplitter()
    for piece in text.split(" "):
        phrases = splitter.feed(piece + " ")
        if phrases:
            return phrases[0]
    return splitter.flush()[0]


def run(repeats: int) -> dict[str, float]:
    figures: dict[str, float] = {}
    vad_model, figures["load_vad_s"] = _timed(SileroVadModel.load)
    turn_model, figures["load_turn_s"] = _timed(SmartTurnV3)
    tts, figures["load_tts_s"] = _timed(KokoroTts)
    asr = WhisperAsr()
    _, figures["load_asr_tiny_en_s"] = _timed(lambda: asr.model("tiny.en"))
    _, figures["load_asr_base_s"] = _timed(lambda: asr.model("base"))
    llm, figures["load_llm_s"] = _timed(LlamaCppChat)

    # Warm each once so the figures describe steady state, as after warm_up().
    tts.synthesize("Hello.", voice="jf_alpha", speed=1.0, language="en")
    tts.synthesize("你好。", voice="jf_alpha", speed=1.0, language="zh")

    # TTS: real-time factor over whole sentences, and latency of a reply's first phrase.
    for language, sentences, reply in (("en", ENGLISH, REPLY_EN), ("zh", MANDARIN, REPLY_ZH)):
        speech: list[np.ndarray] = []
        factors, cpu_factors = [], []
        for sentence in sentences:
            audio, elapsed, cpu = _cpu_timed(
                partial(tts.synthesize, sentence, voice="jf_alpha", speed=1.0, language=language)
            )
            speech.append(resample(audio, tts.sample_rate, 16_000))
            factors.append(elapsed / (audio.size / tts.sample_rate))
            cpu_factors.append(cpu / (audio.size / tts.sample_rate))
        figures[f"tts_rtf_{language}"] = statistics.median(factors)
        figures[f"tts_cpu_s_per_audio_s_{language}"] = statistics.median(cpu_factors)
        first = _first_phrase(reply)
        latencies = [
            _timed(partial(tts.synthesize, first, voice="jf_alpha", speed=1.0, language=language))[1]
            for _ in range(repeats)
        ]
        figures[f"tts_first_phrase_ms_{language}"] = statistics.median(latencies) * 1000

        # ASR on that speech: accuracy and real-time factor.
        asr.transcribe(speech[0], language)
        errors, factors, cpu_factors = [], [], []
        for sentence, audio in zip(sentences, speech, strict=True):
            transcript, _, cpu = _cpu_timed(partial(asr.transcribe, audio, language))
            metric = word_error_rate if language == "en" else character_error_rate
            errors.append(metric(sentence, transcript.text))
            factors.append(transcript.elapsed_s / transcript.audio_s)
            cpu_factors.append(cpu / transcript.audio_s)
        figures["asr_wer_en" if language == "en" else "asr_cer_zh"] = statistics.mean(errors)
        figures[f"asr_rtf_{language}"] = statistics.median(factors)
        figures[f"asr_cpu_s_per_audio_s_{language}"] = statistics.median(cpu_factors)
        if language == "en":
            ms = [_timed(lambda a=audio: asr.transcribe(a, "en"))[1] * 1000 for audio in speech[:1] * repeats]
            figures["asr_ms_en_utterance"] = statistics.median(ms)
            figures["asr_en_utterance_s"] = speech[0].size / 16_000

    # VAD and end of turn on the same speech.
    vad = vad_model.new_stream()
    frames = speech[0][: speech[0].size // 512 * 512].reshape(-1, 512)
    _, elapsed = _timed(lambda: [vad.speech_probability(frame) for frame in frames])
    figures["vad_ms_per_frame"] = elapsed / len(frames) * 1000
    _, elapsed = _timed(lambda: [turn_model.probability_complete(speech[0]) for _ in range(repeats)])
    figures["turn_ms_per_call"] = elapsed / repeats * 1000
    lead, tail = np.zeros(8_000, dtype=np.float32), np.zeros(3_200, dtype=np.float32)  # 0.5 s before, 0.2 s after
    right = 0
    for text, language, finished in TURN_CASES:
        for voice in ("jf_alpha", "jm_kumo"):
            turn_audio = resample(
                tts.synthesize(text, voice=voice, speed=1.0, language=language), tts.sample_rate, 16_000
            )
            probability = turn_model.probability_complete(np.concatenate([lead, turn_audio, tail]))
            right += (probability > 0.5) == finished
    figures["turn_accuracy"] = right / (2 * len(TURN_CASES))

    # LLM: time to first token and decode speed on a persona-style prompt.
    messages = [
        ChatMessage("system", "You are Mira, a warm travel guide. Reply in one or two short sentences."),
        ChatMessage("user", "What should I pack for a weekend by the sea?"),
    ]
    first_tokens, speeds, cpu_per_token = [], [], []
    for _ in range(repeats):
        started, cpu_started = time.perf_counter(), time.process_time()
        first_at, count = 0.0, 0
        for _piece in llm.stream_chat(messages, GenerationOptions(max_tokens=64), threading.Event()):
            count += 1
            first_at = first_at or time.perf_counter()
        finished = time.perf_counter()
        first_tokens.append((first_at - started) * 1000)
        if count > 1:
            speeds.append((count - 1) / (finished - first_at))
            cpu_per_token.append((time.process_time() - cpu_started) / count * 1000)
    figures["llm_ttft_ms"] = statistics.median(first_tokens)
    figures["llm_tokens_per_s"] = statistics.median(speeds)
    figures["llm_cpu_ms_per_token"] = statistics.median(cpu_per_token)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs per latency figure (median reported)")
    figures = run(parser.parse_args().repeats)
    figures["load_average_1min"] = os.getloadavg()[0]  # > 2 means the 2 cores were shared while measuring
    for name, value in figures.items():
        print(f"{name:28s} {value:10.3f}")
    print(json.dumps({name: round(value, 4) for name, value in figures.items()}))


if __name__ == "__main__":
    main()
