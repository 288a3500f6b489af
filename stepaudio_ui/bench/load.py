"""`stepaudio-ui bench load`: 1, 2 and 4 simultaneous conversations over /v1/realtime, in one run.

Our /v1/realtime is served by uvicorn in a thread over the embedded engine, and N clients (the app's own
realtime client, as any realtime client would connect) each hold a spoken conversation at real-time pace,
all starting together (`engine_turns`). Per N: p50 end of speech -> first audio, its ratio to N=1 measured
in the same run, and the share of replies whose audio ever fell behind playback (a stall a listener hears).

Then the cost of an open connection while its user is silent: the server's event loop (where every
connection's audio is decoded and run through the VAD) is timed by its own CPU clock for `--idle-seconds`
with no connection, then with the largest N connections streaming silence, as a silent microphone does.
The whole process's CPU, which includes the clients' own work, is given beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from model.embedded.engine import EmbeddedEngine
from model.events import InputAudioBufferAppend, SessionConfig, TurnDetection
from model.protocol import Engine
from model.realtime.client import RealtimeClientEngine
from model.realtime.presets import own_endpoint_service
from stepaudio_ui.bench.engine_turns import BENCH_INSTRUCTIONS, CHUNK_MS, SpokenTurnDriver
from stepaudio_ui.bench.realtime import serve_engine_in_thread
from stepaudio_ui.bench.turn_state import TurnResult
from stepaudio_ui.bench.utterances import SAMPLE_RATE, Utterance, load_utterances, make_default_utterances
from stepaudio_ui.engines import embedded_options
from stepaudio_ui.settings import Settings

logger = logging.getLogger(__name__)

SETTLE_TIMEOUT_S = 60.0
MODELS_SETTLED_CORE = 0.05  # model threads using less than this share of a core: session warm-up is over
_EVENT_LOOPS = ("MainThread", "realtime-server")  # the clients' event loop and the server's


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--conversations", default="1,2,4", help="simultaneous conversations to measure, in order")
    parser.add_argument("--turns", type=int, default=4, help="spoken turns per conversation")
    parser.add_argument("--idle-seconds", type=float, default=10.0, help="how long silent connections are timed")
    parser.add_argument("--silence-ms", type=int, default=500, help="turn_detection.silence_duration_ms")
    parser.add_argument("--voice", default=None, help="voice id of the replies (default: the engine's)")
    parser.add_argument("--max-sentences", type=int, default=2, help="reply length limit in sentences")
    parser.add_argument("--inputs", type=Path, default=None, help="folder of WAVs to speak (default: the bench's)")
    parser.add_argument("--json-only", action="store_true", help="print only the final JSON line")


def _percentile(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 1) if values else None


def summarise_level(turns: list[TurnResult]) -> dict[str, Any]:
    """One N's figures: answered turns, p50/p95 end of speech -> first audio, replies that stalled."""
    waits = [t.eos_to_first_audio_ms for t in turns if t.eos_to_first_audio_ms is not None]
    heard = [t for t in turns if t.stall_ms is not None]
    stalled = [t for t in heard if (t.stall_ms or 0) > 0]
    return {
        "turns": len(turns),
        "answered": len(waits),
        "eos_to_first_audio_p50_ms": _percentile(waits, 50),
        "eos_to_first_audio_p95_ms": _percentile(waits, 95),
        "replies_behind_playback": len(stalled),
        "share_behind_playback": round(len(stalled) / len(heard), 3) if heard else None,
        "stall_p95_ms": _percentile([t.stall_ms or 0.0 for t in heard], 95),
    }


def _threads_cpu_s() -> dict[str, float]:
    """CPU seconds per thread name of this process (Linux /proc; Python threads by their own names)."""
    names = {thread.native_id: thread.name for thread in threading.enumerate()}
    used: dict[str, float] = {}
    for task in Path("/proc/self/task").glob("*"):
        seconds = _thread_cpu_s(int(task.name))
        if seconds is None:
            continue
        name = names.get(int(task.name)) or (task / "comm").read_text().strip()
        name = name.split("_")[0].rstrip("0123456789- ")  # one entry per pool, not per worker
        used[name] = used.get(name, 0.0) + seconds
    return used


def _thread_cpu_s(native_id: int | None) -> float | None:
    """CPU seconds one thread of this process has used (Linux /proc); None where that cannot be read."""
    try:
        fields = Path(f"/proc/self/task/{native_id}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime, in clock ticks


async def _conversations(
    engine: Engine, utterances: list[Utterance], count: int, args: argparse.Namespace
) -> list[TurnResult]:
    drivers = [
        SpokenTurnDriver(engine, index, args.silence_ms, args.max_sentences, same_clock=True, voice=args.voice)
        for index in range(count)
    ]
    # Each conversation asks the questions in its own order: the same words at once would share caches.
    orders = [
        (utterances[i % len(utterances) :] + utterances[: i % len(utterances)])[: args.turns] for i in range(count)
    ]
    per_conversation = await asyncio.gather(*(d.run(order) for d, order in zip(drivers, orders, strict=True)))
    return [turn for turns in per_conversation for turn in turns]


async def _settled(timeout_s: float) -> None:
    """Wait until the models are idle: a new session warms its prompt and makes the reply openers in its
    voice once (seconds of CPU), which is the cost of opening a conversation, not of holding it open."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        before = _threads_cpu_s()
        await asyncio.sleep(1.0)
        after = _threads_cpu_s()
        models = sum(cpu - before.get(name, 0.0) for name, cpu in after.items() if name not in _EVENT_LOOPS)
        if models < MODELS_SETTLED_CORE:
            return
    logger.warning("the models were still busy after %.0f s: the idle figure includes their work", timeout_s)


async def _silent_until(engine: Engine, ready: asyncio.Event, stop: asyncio.Event) -> None:
    """One connection whose user says nothing: silence streamed at real time from `ready` until `stop`."""
    config = SessionConfig(instructions=BENCH_INSTRUCTIONS, turn_detection=TurnDetection())
    session = await engine.open_session(config)
    drain = asyncio.create_task(_drain(session))
    silence = np.zeros(SAMPLE_RATE * CHUNK_MS // 1000, dtype=np.int16)
    await ready.wait()
    next_at = time.monotonic()
    while not stop.is_set():
        next_at += CHUNK_MS / 1000
        await session.send(InputAudioBufferAppend(audio=silence))
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
    await session.close()
    drain.cancel()


async def _drain(session: Any) -> None:
    async for _ in session.events():
        pass


async def _idle_cpu(engine: Engine, connections: int, seconds: float, server_thread: int | None) -> dict[str, Any]:
    """Server-loop and process CPU (share of one core) per silent connection (see the module doc)."""

    by_thread: dict[str, float] = {}

    async def window() -> tuple[float | None, float]:
        server, process, threads = _thread_cpu_s(server_thread), time.process_time(), _threads_cpu_s()
        await asyncio.sleep(seconds)
        after = _thread_cpu_s(server_thread)
        by_thread.clear()
        by_thread.update({name: (cpu - threads.get(name, 0.0)) / seconds for name, cpu in _threads_cpu_s().items()})
        used = None if server is None or after is None else (after - server) / seconds
        return used, (time.process_time() - process) / seconds

    await _settled(SETTLE_TIMEOUT_S)  # the conversations before have finished their work
    quiet_server, quiet_process = await window()
    ready, stop = asyncio.Event(), asyncio.Event()
    silent = [asyncio.create_task(_silent_until(engine, ready, stop)) for _ in range(connections)]
    await asyncio.sleep(1.0)  # all connected before the silence starts
    ready.set()
    await _settled(SETTLE_TIMEOUT_S)
    busy_server, busy_process = await window()
    stop.set()
    await asyncio.gather(*silent)
    per_server = None
    if busy_server is not None and quiet_server is not None:
        per_server = round(max(0.0, busy_server - quiet_server) / connections, 4)
    return {
        "idle_connections": connections,
        "idle_server_loop_core_per_connection": per_server,
        "idle_process_core_per_connection": round(max(0.0, busy_process - quiet_process) / connections, 4),
        "idle_core_by_thread": {name: round(cpu, 4) for name, cpu in sorted(by_thread.items()) if cpu >= 0.001},
    }


async def _bench(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    levels = [int(n) for n in args.conversations.split(",") if n.strip()]
    engine = EmbeddedEngine(embedded_options(settings), pace_audio=True)
    await engine.start()
    assert engine.models is not None
    if args.inputs is not None:
        spoken = await asyncio.to_thread(load_utterances, args.inputs)
    else:
        spoken = await asyncio.to_thread(make_default_utterances, engine.models.tts, settings.data_dir / "bench")
    english = [u for u in spoken if u.language == "en"] or spoken
    server, thread, port = serve_engine_in_thread(engine, settings)
    client = RealtimeClientEngine(own_endpoint_service(url=f"ws://127.0.0.1:{port}/v1/realtime"))
    results: dict[str, Any] = {"conversations": {}}
    try:
        for count in levels:
            turns = await _conversations(client, english, count, args)
            results["conversations"][str(count)] = summarise_level(turns)
        results.update(await _idle_cpu(client, max(levels), args.idle_seconds, thread.native_id))
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    first = results["conversations"].get(str(levels[0]), {}).get("eos_to_first_audio_p50_ms")
    for level in results["conversations"].values():
        p50 = level["eos_to_first_audio_p50_ms"]
        level["over_first_level_p50"] = round(p50 / first, 3) if p50 is not None and first else None
    return results


def _lines(results: dict[str, Any]) -> list[str]:
    levels = results["conversations"]
    first = next(iter(levels), "1")
    lines = []
    for count, level in levels.items():
        lines.append(
            f"N={count}: end of speech -> first audio p50 {level['eos_to_first_audio_p50_ms']} ms "
            f"(p95 {level['eos_to_first_audio_p95_ms']}, {level['answered']}/{level['turns']} answered), "
            f"over N={first}: {level['over_first_level_p50']}; replies whose audio fell behind playback: "
            f"{level['replies_behind_playback']}/{level['answered']} (stall p95 {level['stall_p95_ms']} ms)"
        )
    server, process = results["idle_server_loop_core_per_connection"], results["idle_process_core_per_connection"]
    lines.append(
        f"idle: per open connection while the user is silent ({results['idle_connections']} connections): "
        f"server loop {'-' if server is None else f'{100 * server:.1f}%'} of a core "
        f"(whole process, clients included: {100 * process:.1f}%)"
    )
    return lines


def run(args: argparse.Namespace, settings: Settings) -> int:
    results = asyncio.run(_bench(args, settings))
    if not args.json_only:
        for line in _lines(results):
            sys.stdout.write(line + "\n")
    sys.stdout.write(json.dumps(results) + "\n")
    sys.stdout.flush()
    return 0
