"""`stepaudio-ui bench engine`: spoken turns through any engine's sessions at real-time pace.

Each utterance is streamed in 20 ms chunks with real sleeps (a microphone's pace), followed by silence
that keeps streaming until the reply is complete, as a live microphone would (see engine_turns.py).
Which engine: the embedded one by default, `--engine NAME` for any engine this app offers (an engine
that can't be used here exits with code 2 and the reason), or `--url ws://HOST:PORT/v1/realtime` for
any realtime endpoint, reached through the app's own realtime client.

Per turn and as p50/p95 it reports: actual end of speech -> first reply audio received (what the user
waits, on this process's clock), end-of-turn decision -> first reply audio (the engine's own work,
without the silence wait), ASR word/character error against the reference, LLM time to first token
and tokens/s, TTS real-time factor, and this process's peak memory; then one JSON line with all of it
and each turn's transcripts. The stage figures come from `response.timings`; an engine that does not
send them gets them as null, and its decision -> first audio is estimated as the wait minus the
configured silence. For the embedded engine, each model is first timed alone on the idle machine
(`alone_*`: Smart Turn, Whisper, the chat model, both voices; see machine_speed.py), so runs on different
machines, or on one machine on different days, can be told apart.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import resource
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from model.embedded.engine import EmbeddedEngine
from model.protocol import Engine
from model.realtime_client import RealtimeClientEngine, RealtimeConnectError
from model.stepfun import own_endpoint_service
from stepaudio_ui.bench.engine_turns import SpokenTurnDriver, TurnResult
from stepaudio_ui.bench.machine_speed import measure_models_alone
from stepaudio_ui.bench.utterances import Utterance, load_utterances, make_default_utterances
from stepaudio_ui.engines import build_engines, embedded_options
from stepaudio_ui.settings import Settings

logger = logging.getLogger(__name__)

EMBEDDED = "embedded"


class BenchSetupError(Exception):
    """The bench can't run as asked (unknown or unusable engine, bad URL); the message says what to change."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--engine", default=EMBEDDED, help="engine to measure, by name (default: embedded)")
    target.add_argument("--url", default=None, help="measure this realtime endpoint: ws://HOST:PORT/v1/realtime")
    parser.add_argument("--token", default=None, help="bearer token for --url")
    parser.add_argument("--inputs", type=Path, default=None, help="folder of WAVs with optional NAME.txt references")
    parser.add_argument("--limit", type=int, default=None, help="use only the first N utterances")
    parser.add_argument("--sessions", type=int, choices=(1, 2), default=1, help="sessions talking at the same time")
    parser.add_argument("--json-only", action="store_true", help="print only the final JSON line")
    parser.add_argument("--silence-ms", type=int, default=500, help="turn_detection.silence_duration_ms")
    parser.add_argument("--voice", default=None, help="voice id the replies are spoken with (default: the engine's)")
    parser.add_argument("--max-sentences", type=int, default=2, help="reply length limit in sentences")


def _percentile(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 3) if values else None


STALL_REPORTED_MS = 100  # a silence inside a reply that a listener notices


def summarise(turns: list[TurnResult], sessions: int, load_s: float | None) -> dict[str, object]:
    def values(field: str) -> list[float]:
        return [v for t in turns if (v := getattr(t, field)) is not None]

    def rate(language: str) -> float | None:
        scored = [t for t in turns if t.errors is not None and t.language == language and t.reference_units]
        total = sum(t.reference_units or 0 for t in scored)
        return round(sum(t.errors or 0 for t in scored) / total, 4) if total else None

    summary: dict[str, object] = {
        "sessions": sessions,
        "turns_total": len(turns),
        "model_load_s": round(load_s, 2) if load_s is not None else None,
    }
    for field, key in (
        ("eos_to_first_audio_ms", "eos_to_first_audio"),
        ("decision_to_first_audio_ms", "decision_to_first_audio"),
        ("silence_wait_ms", "silence_wait"),
        ("asr_ms", "asr"),
        ("llm_ttft_ms", "llm_ttft"),
    ):
        summary[f"{key}_p50_ms"] = _percentile(values(field), 50)
        summary[f"{key}_p95_ms"] = _percentile(values(field), 95)
    # Replies that open with a phrase spoken before ("Sure!") start at once: give both kinds apart.
    uncached = [t.decision_to_first_audio_ms for t in turns if t.first_phrase_cached is False]
    summary["first_phrase_cached_turns"] = sum(1 for t in turns if t.first_phrase_cached)
    summary["started_early_turns"] = sum(1 for t in turns if t.started_early)
    summary["decision_to_first_audio_uncached_p50_ms"] = _percentile([v for v in uncached if v is not None], 50)
    summary["asr_wer"] = rate("en")
    summary["asr_cer_zh"] = rate("zh")
    summary["llm_tokens_per_s"] = _percentile(values("llm_tokens_per_s"), 50)
    summary["tts_rtf_p50"] = _percentile(values("tts_rtf"), 50)
    summary["tts_rtf_p95"] = _percentile(values("tts_rtf"), 95)
    stalls = values("stall_ms")
    summary["reply_stall_p50_ms"] = _percentile(stalls, 50)
    summary["reply_stall_p95_ms"] = _percentile(stalls, 95)
    summary["replies_with_stalls"] = sum(1 for v in stalls if v >= STALL_REPORTED_MS)
    summary["replies_completed"] = sum(1 for t in turns if t.status == "completed")
    summary["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    summary["turns"] = [asdict(t) for t in turns]
    return summary


def _table(turns: list[TurnResult]) -> list[str]:
    def show(value: float | None, digits: int = 0) -> str:
        return "-" if value is None else f"{value:.{digits}f}"

    lines = ["sess name          eos>audio dec>audio  wait   asr  ttft  tok/s  rtf stall   err  transcript -> reply"]
    for t in turns:
        err = f"{t.errors}/{t.reference_units}" if t.errors is not None else "-"
        lines.append(
            f"{t.session:>4} {t.name[:13]:<13} {show(t.eos_to_first_audio_ms):>9}"
            f" {show(t.decision_to_first_audio_ms):>7}{'^' if t.started_early else ' '}{'*' if t.first_phrase_cached else ' '}"
            f" {show(t.silence_wait_ms):>5} {show(t.asr_ms):>5} {show(t.llm_ttft_ms):>5} {show(t.llm_tokens_per_s):>6}"
            f" {show(t.tts_rtf, 2):>4} {show(t.stall_ms):>5} {err:>5}  {t.transcript!r} -> {t.reply[:70]!r}"
        )
    lines.append("(* the reply's first phrase was spoken before: its audio came from the phrase cache;")
    lines.append(" ^ the reply was started at the speaker's pause and held until the end-of-turn decision)")
    return lines


class _Target:
    """The engine under test, how it was reached, and what loading it cost."""

    def __init__(self, engine: Engine, *, same_clock: bool, load_s: float | None, url: str | None) -> None:
        self.engine = engine
        self.same_clock = same_clock
        self.load_s = load_s
        self.url = url


async def _target(args: argparse.Namespace, settings: Settings) -> _Target:
    if args.url is not None:
        if not args.url.startswith(("ws://", "wss://")):
            raise BenchSetupError(f"--url {args.url!r} is not a WebSocket URL: use ws://HOST:PORT/v1/realtime")
        engine = RealtimeClientEngine(own_endpoint_service(url=args.url, token=args.token))
        return _Target(engine, same_clock=False, load_s=None, url=args.url)
    if args.engine == EMBEDDED:
        options = embedded_options(settings)
        started = time.perf_counter()
        # Paced like a real client plays it: the next question comes after the reply has been heard.
        engine = EmbeddedEngine(options, pace_audio=True)
        await engine.start()  # loads the models as the app does (on a model thread, see model.embedded.workers)
        return _Target(engine, same_clock=True, load_s=time.perf_counter() - started, url=None)
    engines = build_engines(settings)
    engine = engines.get(args.engine)
    if engine is None:
        raise BenchSetupError(f"no engine named {args.engine!r}: use one of {', '.join(sorted(engines))}")
    availability = engine.availability()
    if not availability.usable:
        raise BenchSetupError(f"engine {args.engine!r} can't be used here: {availability.reason}")
    load_s = None
    start = getattr(engine, "start", None)
    if start is not None:  # engines with models load them before the first turn, not during it
        started = time.perf_counter()
        await start()
        load_s = time.perf_counter() - started
    return _Target(engine, same_clock=not isinstance(engine, RealtimeClientEngine), load_s=load_s, url=None)


def _utterances(args: argparse.Namespace, settings: Settings, target: _Target) -> list[Utterance]:
    if args.inputs is not None:
        utterances = load_utterances(args.inputs)
    else:
        models = getattr(target.engine, "models", None)
        if isinstance(target.engine, EmbeddedEngine) and models is not None:
            tts = models.tts
        else:  # only the voice that speaks the questions, not a whole engine
            from model.embedded.tts import KokoroTts

            tts = KokoroTts(embedded_options(settings).cache_dir)
        utterances = make_default_utterances(tts, settings.data_dir / "bench")
    return utterances[: args.limit] if args.limit is not None else utterances


def _models_alone(target: _Target, utterances: list[Utterance]) -> dict[str, float | None]:
    """The embedded engine's models timed one at a time on the idle machine (nothing for other engines)."""
    models = getattr(target.engine, "models", None)
    english = [u for u in utterances if u.language == "en"]
    if not isinstance(target.engine, EmbeddedEngine) or models is None or not english:
        return {}
    return measure_models_alone(models, english[0])


async def _bench(args: argparse.Namespace, settings: Settings) -> dict[str, object]:
    if args.limit is not None and args.limit < 1:
        raise BenchSetupError(f"--limit {args.limit}: give at least 1 utterance")
    target = await _target(args, settings)
    utterances = await asyncio.to_thread(_utterances, args, settings, target)
    alone = await asyncio.to_thread(_models_alone, target, utterances)
    drivers = [
        SpokenTurnDriver(
            target.engine, index, args.silence_ms, args.max_sentences, same_clock=target.same_clock, voice=args.voice
        )
        for index in range(args.sessions)
    ]
    try:
        per_session = await asyncio.gather(*(driver.run(utterances) for driver in drivers))
    except RealtimeConnectError as error:
        raise BenchSetupError(str(error)) from None
    turns = [turn for session_turns in per_session for turn in session_turns]
    summary: dict[str, object] = {"engine": target.engine.name, "url": target.url, "voice": args.voice or "default"}
    summary.update(summarise(turns, args.sessions, target.load_s))
    summary.update(alone)
    summary["table"] = _table(turns)
    return summary


def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        summary = asyncio.run(_bench(args, settings))
    except BenchSetupError as error:
        sys.stderr.write(f"stepaudio-ui bench engine: {error}\n")
        return 2
    table = summary.pop("table")
    out = sys.stdout
    if not args.json_only:
        for line in table:  # type: ignore[union-attr]
            out.write(line + "\n")
        for key, value in summary.items():
            if key != "turns":
                out.write(f"{key:>34}: {value}\n")
    out.write(json.dumps(summary, ensure_ascii=False) + "\n")
    out.flush()
    return 0 if summary["turns_total"] else 1
