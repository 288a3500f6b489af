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
import sys
import time
from dataclasses import asdict
from pathlib import Path

from model.embedded.engine import EmbeddedEngine, shared_models
from model.embedded.shared import SharedModels
from model.embedded.speak.kokoro import SpeechSynthesizer
from model.embedded.speak.voices import FAST_VOICE_ID
from model.protocol import Engine
from model.realtime.client import RealtimeClientEngine, RealtimeConnectError
from model.realtime.presets import own_endpoint_service
from stepaudio_ui.bench.engine_run import VoiceRun, VoiceSetup, run_voice
from stepaudio_ui.bench.engine_summary import ratio_lines, summarise, table, voice_ratios
from stepaudio_ui.bench.first_chunk import summarise_first_chunks
from stepaudio_ui.bench.hesitations import make_hesitant_utterances
from stepaudio_ui.bench.machine_speed import measure_models_alone
from stepaudio_ui.bench.turn_end import hesitation_pass, summarise_cut_ins
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
    parser.add_argument(
        "--voice",
        default=None,
        help="voice ids the replies are spoken with, comma-separated, each measured in turn ('default': the "
        f"engine's; default: the embedded engine's default voice and {FAST_VOICE_ID}, other engines' default)",
    )
    parser.add_argument("--max-sentences", type=int, default=2, help="reply length limit in sentences")
    parser.add_argument(
        "--baseline", action="store_true", help="also run fastrtc's ReplyOnPause on the same turns (embedded engine)"
    )
    parser.add_argument(
        "--hesitations", type=int, default=None, help="hesitant questions for the cut-in count (default all, 0: none)"
    )
    parser.add_argument("--report", type=Path, default=None, help="write the chart of where the time goes here (.png)")


def _voices(args: argparse.Namespace, target: _Target) -> list[str | None]:
    if args.voice:
        return [None if name.strip() == "default" else name.strip() for name in args.voice.split(",") if name.strip()]
    return [None, FAST_VOICE_ID] if isinstance(target.engine, EmbeddedEngine) else [None]


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


def _speaker(settings: Settings, target: _Target) -> SpeechSynthesizer:
    """The voice that speaks the questions: the engine's own Kokoro, or one loaded for it."""
    models = getattr(target.engine, "models", None)
    if isinstance(target.engine, EmbeddedEngine) and models is not None:
        return models.tts
    from model.embedded.speak.kokoro import KokoroTts  # only the voice that speaks the questions, not a whole engine

    return KokoroTts(embedded_options(settings).cache_dir)


def _utterances(args: argparse.Namespace, settings: Settings, target: _Target) -> list[Utterance]:
    if args.inputs is not None:
        utterances = load_utterances(args.inputs)
    else:
        utterances = make_default_utterances(_speaker(settings, target), settings.data_dir / "bench")
    return utterances[: args.limit] if args.limit is not None else utterances


def _models_alone(target: _Target, utterances: list[Utterance]) -> dict[str, float | None]:
    """The embedded engine's models timed one at a time on the idle machine (nothing for other engines)."""
    models = getattr(target.engine, "models", None)
    english = [u for u in utterances if u.language == "en"]
    if not isinstance(target.engine, EmbeddedEngine) or models is None or not english:
        return {}
    return measure_models_alone(models, english[0])


def _shared(target: _Target) -> SharedModels | None:
    """The embedded engine's models, for the figures timed alone (none for other engines)."""
    engine = target.engine
    if isinstance(engine, EmbeddedEngine) and engine.models is not None:
        return shared_models(engine.models, engine.options)
    return None


async def _bench(args: argparse.Namespace, settings: Settings) -> dict[str, object]:
    if args.limit is not None and args.limit < 1:
        raise BenchSetupError(f"--limit {args.limit}: give at least 1 utterance")
    target = await _target(args, settings)
    utterances = await asyncio.to_thread(_utterances, args, settings, target)
    alone = await asyncio.to_thread(_models_alone, target, utterances)
    shared = _shared(target)
    setup = VoiceSetup(args.silence_ms, args.max_sentences, args.sessions, target.same_clock, args.baseline)
    runs: list[VoiceRun] = []
    try:
        for voice in _voices(args, target):
            runs.append(await run_voice(target.engine, utterances, voice, setup, shared))
        cut_ins = await _hesitations(args, settings, target)
    except RealtimeConnectError as error:
        raise BenchSetupError(str(error)) from None
    turns = [turn for run in runs for turn in run.turns]
    summary: dict[str, object] = {"engine": target.engine.name, "url": target.url, "voice": args.voice or "default"}
    summary.update(summarise(turns, args.sessions, target.load_s))
    summary.update(alone)
    summary.update(cut_ins)
    voices: dict[str, dict[str, object]] = {}
    for run in runs:
        name = run.voice or (shared.voice_ids()[0] if shared is not None else "default")
        ratios = voice_ratios(run.turns, run.floors, run.baseline, args.silence_ms)
        if run.first_chunks:
            ratios.update(summarise_first_chunks(run.first_chunks))
        ratios["floors"] = [f.as_dict() if f is not None else None for f in run.floors]
        ratios["baseline_turns"] = [{**asdict(b), **b.stages()} for b in run.baseline]
        voices[name] = ratios
    summary["voices"] = voices
    if args.report is not None:
        try:
            from stepaudio_ui.bench.chart import write_engine_chart
        except ImportError as missing:  # matplotlib comes with the bench extra only
            raise SystemExit(f"--report needs matplotlib ({missing}): pip install -e '.[bench]'") from missing

        summary["report"] = str(write_engine_chart(voices, args.report))
    summary["table"] = table(turns)
    return summary


async def _hesitations(args: argparse.Namespace, settings: Settings, target: _Target) -> dict[str, object]:
    """The hesitation set's cut-ins (default: all of it; none when the turns came from --inputs)."""
    count = args.hesitations if args.hesitations is not None else (0 if args.inputs else None)
    if count == 0:
        return {}
    speaker = await asyncio.to_thread(_speaker, settings, target)
    hesitant = await asyncio.to_thread(make_hesitant_utterances, speaker, settings.data_dir / "bench", count)
    found = await hesitation_pass(target.engine, hesitant, silence_ms=args.silence_ms, same_clock=target.same_clock)
    return summarise_cut_ins(found)


def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        summary = asyncio.run(_bench(args, settings))
    except BenchSetupError as error:
        sys.stderr.write(f"stepaudio-ui bench engine: {error}\n")
        return 2
    turn_table = summary.pop("table")
    out = sys.stdout
    if not args.json_only:
        for line in turn_table:  # type: ignore[union-attr]
            out.write(line + "\n")
        for key, value in summary.items():
            if key not in ("turns", "voices"):
                out.write(f"{key:>34}: {value}\n")
        out.write("\nratios of this run (ours / the other, measured side by side):\n")
        for voice, ratios in summary["voices"].items():  # type: ignore[union-attr]
            for line in ratio_lines(voice, ratios, args.silence_ms):
                out.write(line + "\n")
        if "hesitation_cut_in_share" in summary:
            out.write(
                f"turn end: {summary['hesitation_cut_ins']}/{summary['hesitation_turns']} hesitations inside a "
                f"sentence were cut into (share {summary['hesitation_cut_in_share']}): "
                f"{summary['hesitation_cut_in_names']}\n"
            )
    out.write(json.dumps(summary, ensure_ascii=False) + "\n")
    out.flush()
    return 0 if summary["turns_total"] else 1
