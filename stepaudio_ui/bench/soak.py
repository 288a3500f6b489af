"""`stepaudio-ui bench soak --minutes 10`: does a long conversation make the server's memory grow?

One engine session in this process holds a conversation for the given time: typed user turns
(conversation.item.create + response.create) one after another, each answered in full (text and
audio), with a control round trip between turns. The process's resident memory (RSS) is sampled
every few seconds. After a few warm-up turns (models and caches settle) the RSS becomes the
baseline; the report gives RSS over time, the growth over the baseline and the growth over the
second half of the run. The bound is checked on the second half: onnxruntime's and llama.cpp's
memory arenas grow in steps to fit the longest phrase or context seen so far and then stay (a
plateau), while a leak keeps growing with every turn, so it shows in the second half too.
Exit code 1 when the second-half growth is over `--bound-mb`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from model.events import ContentPart, ConversationItem, ConversationItemCreate, ResponseCreate, SessionConfig
from model.protocol import Engine
from stepaudio_ui.settings import Settings

logger = logging.getLogger(__name__)

PROMPTS = (
    "Hello! How are you today?",
    "What is your favourite colour, and why?",
    "Tell me one fun fact about clocks.",
    "What should I cook tonight?",
    "Describe the sea in one sentence.",
    "Can you suggest a name for a cat?",
)
SOAK_CONFIG = SessionConfig(
    instructions="You are Ada, a cheerful voice assistant. Answer in one short sentence.", max_sentences=1
)
TURN_TIMEOUT_S = 120.0
DEFAULT_BOUND_MB = 64.0  # second-half growth; a leak of 1 MB per turn passes this within a 10-minute run


def rss_mb() -> float:
    """Resident memory of this process in MB, from /proc (Linux)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        resident_pages = int(statm.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE") / 1e6


@dataclass
class SoakResult:
    seconds: float
    turns: int
    warmup_turns: int
    baseline_mb: float
    final_mb: float
    peak_mb: float
    growth_mb: float
    growth_mb_per_min: float
    late_growth_mb: float  # over the second half of the run: what the bound is checked on
    bound_mb: float
    within_bound: bool
    samples: list[tuple[float, int, float]] = field(default_factory=list)  # (seconds, turns done, RSS MB)


async def _until(events: Any, kind: str) -> None:
    async def loop() -> None:
        async for event in events:
            if event.type == "error":
                raise RuntimeError(f"engine error during the soak: {event.error.message}")
            if event.type == kind:
                return
        raise RuntimeError(f"the session ended before {kind}")

    await asyncio.wait_for(loop(), TURN_TIMEOUT_S)


async def soak(
    engine: Engine, *, seconds: float, sample_s: float = 10.0, warmup_turns: int = 3, bound_mb: float = DEFAULT_BOUND_MB
) -> SoakResult:
    """Hold one conversation on `engine` for `seconds` (after `warmup_turns`) and measure RSS."""
    session = await engine.open_session(SOAK_CONFIG)
    events = session.events()
    samples: list[tuple[float, int, float]] = []
    turns = 0
    try:
        await _until(events, "session.created")
        baseline = 0.0
        started = last_sample = 0.0
        while True:
            prompt = PROMPTS[turns % len(PROMPTS)]
            await session.send(ConversationItemCreate(item=ConversationItem(content=[ContentPart(text=prompt)])))
            await session.send(ResponseCreate())
            await _until(events, "response.done")
            turns += 1
            now = time.monotonic()
            if turns == warmup_turns:
                baseline, started, last_sample = rss_mb(), now, now
                samples.append((0.0, turns, round(baseline, 1)))
                logger.info("soak: baseline %.1f MB after %d warm-up turns", baseline, turns)
            elif turns > warmup_turns:
                if now - last_sample >= sample_s:
                    last_sample = now
                    samples.append((round(now - started, 1), turns, round(rss_mb(), 1)))
                    logger.info("soak: %6.1f s  %4d turns  %.1f MB", *samples[-1])
                if now - started >= seconds:
                    break
    finally:
        await session.close()
    final = rss_mb()
    elapsed = time.monotonic() - started
    samples.append((round(elapsed, 1), turns, round(final, 1)))
    growth = final - baseline
    halfway = next(rss for t, _n, rss in samples if t >= elapsed / 2)
    late_growth = final - halfway
    return SoakResult(
        seconds=round(elapsed, 1),
        turns=turns,
        warmup_turns=warmup_turns,
        baseline_mb=round(baseline, 1),
        final_mb=round(final, 1),
        peak_mb=round(max(rss for _t, _n, rss in samples), 1),
        growth_mb=round(growth, 1),
        growth_mb_per_min=round(growth / max(elapsed / 60, 1e-9), 2),
        late_growth_mb=round(late_growth, 1),
        bound_mb=bound_mb,
        within_bound=late_growth <= bound_mb,
        samples=samples,
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--minutes", type=float, default=10.0, help="how long to hold the conversation (default 10)")
    parser.add_argument("--sample-s", type=float, default=15.0, help="seconds between RSS samples (default 15)")
    parser.add_argument("--warmup-turns", type=int, default=3, help="turns before the baseline is taken (default 3)")
    parser.add_argument(
        "--bound-mb", type=float, default=DEFAULT_BOUND_MB, help="allowed RSS growth over the second half (MB)"
    )
    parser.add_argument("--engine", default="embedded", help="engine to talk to (default: embedded)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON instead of a table")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from stepaudio_ui.engines import build_engines

    engines = build_engines(settings)
    if args.engine not in engines:
        sys.stderr.write(f"unknown engine {args.engine!r}: choose one of {', '.join(engines)}\n")
        return 2
    engine = engines[args.engine]

    async def main() -> SoakResult:
        if hasattr(engine, "start"):
            await engine.start()  # load the models before the baseline
        return await soak(
            engine,
            seconds=args.minutes * 60,
            sample_s=args.sample_s,
            warmup_turns=args.warmup_turns,
            bound_mb=args.bound_mb,
        )

    result = asyncio.run(main())
    if args.json:
        sys.stdout.write(json.dumps(asdict(result), indent=2) + "\n")
    else:
        lines = ["    time_s  turns  rss_mb"] + [f"{t:10.1f} {n:6d} {rss:7.1f}" for t, n, rss in result.samples]
        verdict = "within" if result.within_bound else "OVER"
        lines.append(
            f"{result.turns} turns in {result.seconds:.0f} s on {args.engine}: RSS {result.baseline_mb} -> "
            f"{result.final_mb} MB (peak {result.peak_mb}), growth {result.growth_mb:+.1f} MB "
            f"({result.growth_mb_per_min:+.2f} MB/min); second half {result.late_growth_mb:+.1f} MB, "
            f"{verdict} the {result.bound_mb:g} MB bound"
        )
        sys.stdout.write("\n".join(lines) + "\n")
    return 0 if result.within_bound else 1
