"""`stepaudio-ui bench flood`: one good spoken conversation while N hostile clients hit the same server.

The whole app (UI, sign-in, `/v1/realtime`, the embedded engine paced at real time) is served by uvicorn
on a loopback port, with the seed library and one password account. A good client holds one realtime
conversation through the app's own realtime client, spoken turns fed like a microphone (engine_turns.py).
Turns alternate between quiet and flooded, in pairs asking the same question (quiet first in one pair,
flooded first in the next, so neither side always comes later in the conversation); during a flooded
turn a separate process runs N hostile clients (flood_clients.py: malformed, oversized, slow-reading,
idle, and UI attacks) at the lowest CPU priority, so that on a machine shared with its attackers what is
measured is the server's cost of the flood, not the attackers' own CPU. Meanwhile another process asks
`/healthz` every 250 ms.

Reported, from this one run: the good client's end of speech -> first reply audio, p50 quiet and flooded,
and their ratio (target <= 1.5); whether every health check was answered within 5 s and how long they
took in each phase; what the hostile clients were told, and the server's realtime counters.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from model.realtime.client import RealtimeClientEngine
from model.realtime.presets import own_endpoint_service
from stepaudio_ui.bench.engine_turns import SpokenTurnDriver, TurnResult
from stepaudio_ui.bench.flood_clients import HealthProcess, HostileProcess, Target
from stepaudio_ui.bench.realtime import serve_in_thread
from stepaudio_ui.bench.utterances import Utterance, load_utterances, make_default_utterances
from stepaudio_ui.settings import Settings

logger = logging.getLogger(__name__)

TARGET_RATIO = 1.5
RAMP_S = 2.0  # the hostile clients connect and get going before the flooded turn starts
SETTLE_S = 1.0  # after a flood, the server finishes with the hostile clients before a quiet turn


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--hostile", type=int, default=30, help="hostile clients during a flooded turn")
    parser.add_argument("--pairs", type=int, default=3, help="pairs of turns (one quiet, one flooded)")
    parser.add_argument("--silence-ms", type=int, default=500, help="turn_detection.silence_duration_ms")
    parser.add_argument("--inputs", type=Path, default=None, help="folder of WAVs with NAME.txt (default: made here)")
    parser.add_argument("--json-only", action="store_true", help="print only the final JSON line")


def turn_phases(pairs: int) -> list[str]:
    """A warm-up turn (a conversation's first reply is slower: cold prompt; not counted), then pairs of one
    quiet and one flooded turn, alternating which comes first."""
    pair_phases = [("quiet", "flood") if pair % 2 == 0 else ("flood", "quiet") for pair in range(pairs)]
    return ["warm-up", *(phase for pair in pair_phases for phase in pair)]


class PhaseSwitcher:
    """Called before each turn: starts the hostile process for a flooded turn, stops it for a quiet one."""

    def __init__(self, phases: list[str], target: Target, hostile: int, health: HealthProcess) -> None:
        self.phases = phases
        self.target = target
        self.hostile = hostile
        self.health = health
        self.counts: list[dict[str, int]] = []  # what the hostile clients were told, per flooded phase
        self._running: HostileProcess | None = None

    async def __call__(self, index: int) -> None:
        wanted = index < len(self.phases) and self.phases[index] == "flood"
        if self._running is not None and not wanted:
            await self.finish()
            await asyncio.sleep(SETTLE_S)  # still the flood's phase: the server is finishing with it
        self.health.set_phase(wanted)  # the ramp-up below counts as flood
        if wanted and self._running is None:
            self._running = HostileProcess(self.target, self.hostile)
            await asyncio.to_thread(self._running.start)
            await asyncio.sleep(RAMP_S)

    async def finish(self) -> None:
        if self._running is not None:
            running, self._running = self._running, None
            self.counts.append(await asyncio.to_thread(running.stop))


def _p50(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def summarise(
    turns: list[TurnResult], phases: list[str], health: dict[str, Any], counts: list[dict[str, int]], hostile: int,
    server: Any,
) -> dict[str, Any]:  # fmt: skip
    waits = {"quiet": [], "flood": []}  # type: dict[str, list[float]]
    for turn, phase in zip(turns, phases, strict=False):
        if turn.eos_to_first_audio_ms is not None and phase in waits:
            waits[phase].append(turn.eos_to_first_audio_ms)
    quiet, flood = _p50(waits["quiet"]), _p50(waits["flood"])
    times = health["times"]
    ratio = round(flood / quiet, 2) if quiet and flood else None
    hostile_counts: dict[str, int] = {}
    for phase_counts in counts:
        for key, value in phase_counts.items():
            hostile_counts[key] = hostile_counts.get(key, 0) + value
    return {
        "hostile_clients": hostile,
        "turns_quiet": len(waits["quiet"]),
        "turns_flood": len(waits["flood"]),
        "eos_to_first_audio_quiet_p50_ms": quiet,
        "eos_to_first_audio_flood_p50_ms": flood,
        "flood_ratio": ratio,
        "target_ratio": TARGET_RATIO,
        "within_target": ratio is not None and ratio <= TARGET_RATIO,
        "health_checks": len(times["quiet"]) + len(times["flood"]) + len(health["failures"]),
        "health_failures": health["failures"],
        "server_kept_answering": not health["failures"],
        "health_quiet_p50_ms": _p50(times["quiet"]),
        "health_flood_p50_ms": _p50(times["flood"]),
        "health_flood_max_ms": round(max(times["flood"]), 1) if times["flood"] else None,
        "hostile_outcomes": dict(sorted(hostile_counts.items())),
        "server_realtime": asdict(server),
        "turns": [{**asdict(turn), "phase": phase} for turn, phase in zip(turns, phases, strict=False)],
    }


def _bench_settings(settings: Settings, data_dir: Path) -> Settings:
    from stepaudio_ui.web.access import hash_password

    account = {"bench-editor": {"role": "editor", "password_hash": hash_password("bench-editor-password")}}
    update = {"data_dir": data_dir, "database_url": None, "host": "127.0.0.1", "warmup": False, "users": account}
    return settings.model_copy(update={**update, "users_file": None, "realtime_token": None, "read_only": False})


async def _bench(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    from stepaudio_ui.server import create_app

    with tempfile.TemporaryDirectory(prefix="bench-flood-") as data_dir:  # the server's own library, removed after
        app, ctx = create_app(_bench_settings(settings, Path(data_dir)))
        return await _flood_run(args, settings, app, ctx)


async def _flood_run(args: argparse.Namespace, settings: Settings, app: Any, ctx: Any) -> dict[str, Any]:
    engine = ctx.engines["embedded"]
    await engine.start()  # models loaded before anything is timed
    if args.inputs is not None:
        spoken = await asyncio.to_thread(load_utterances, args.inputs)
    else:
        spoken = await asyncio.to_thread(make_default_utterances, engine.models.tts, settings.data_dir / "bench")
    english = [u for u in spoken if u.language == "en"] or spoken
    questions: list[Utterance] = [english[-1]] + [
        english[pair % len(english)] for pair in range(args.pairs) for _ in (0, 1)
    ]
    server, thread, port = serve_in_thread(app, ctx.settings)
    target = Target(
        http_url=f"http://127.0.0.1:{port}/",
        realtime_url=f"ws://127.0.0.1:{port}/v1/realtime",
        max_message_bytes=ctx.settings.realtime_max_message_bytes,
    )
    phases = turn_phases(args.pairs)
    watcher = HealthProcess(target.http_url + "healthz")
    await asyncio.to_thread(watcher.start)
    switch = PhaseSwitcher(phases, target, args.hostile, watcher)
    good = RealtimeClientEngine(own_endpoint_service(url=target.realtime_url))
    driver = SpokenTurnDriver(good, 0, args.silence_ms, 2, same_clock=True)
    try:
        turns = await driver.run(questions, before_turn=switch)
    finally:
        await switch.finish()
        health = await asyncio.to_thread(watcher.stop)
        server.should_exit = True
        thread.join(timeout=15)
        ctx.db.dispose()
    return summarise(turns, phases, health, switch.counts, args.hostile, app.state.realtime)


def _print_table(summary: dict[str, Any]) -> None:
    out = sys.stdout
    out.write("turn  phase    eos>audio ms  status     transcript\n")
    for index, turn in enumerate(summary["turns"]):
        wait = turn["eos_to_first_audio_ms"]
        out.write(
            f"{index:>4}  {turn['phase']:<7}  {'-' if wait is None else f'{wait:.0f}':>12}"
            f"  {turn['status']:<9}  {turn['transcript'][:60]!r}\n"
        )
    for key, value in summary.items():
        if key != "turns":
            out.write(f"{key:>34}: {value}\n")


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.pairs < 1 or args.hostile < 0:
        sys.stderr.write("stepaudio-ui bench flood: give --pairs >= 1 and --hostile >= 0\n")
        return 2
    summary = asyncio.run(_bench(args, settings))
    if not args.json_only:
        _print_table(summary)
    sys.stdout.write(json.dumps(summary, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    return 0 if summary["server_kept_answering"] else 1
