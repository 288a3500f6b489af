"""`stepaudio-ui bench realtime`: what the /v1/realtime path adds over talking to the engine in process.

The same typed turns (conversation.item.create + response.create) and the same control round trips
(session.update -> session.updated) run on two sessions, interleaved so both see the same machine
load: one straight on an engine session in this process, one through a real loopback socket — our
/v1/realtime served by uvicorn in a thread, reached with the realtime client engine (the code that
talks to StepAudio 2.5 / gpt-realtime). Reported as p50/p95:
- control round trip, in process vs over the socket;
- response.create -> first response.audio.delta, in process vs over the socket;
- per-event transport delay: each server event is stamped when the engine yields it on the server
  and again when the client receives it (same process clock), for all events and for audio deltas.

`--url ws://HOST:PORT/v1/realtime` measures any realtime endpoint instead (no per-event stamps then).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from model.events import (
    ContentPart,
    ConversationItem,
    ConversationItemCreate,
    ResponseCreate,
    ServerEvent,
    SessionConfig,
    SessionUpdate,
)
from model.protocol import Availability, Engine, EngineSession, VoiceInfo
from model.realtime.client import RealtimeClientEngine
from model.realtime.presets import own_endpoint_service
from stepaudio_ui.settings import Settings

logger = logging.getLogger(__name__)

PROMPTS = (
    "Hello! How are you today?",
    "What is your favourite colour?",
    "Tell me one fun fact about clocks.",
    "What should I cook tonight?",
)
# temperature 0: both paths get the same replies to the same prompts, so their timings compare
BENCH_CONFIG = SessionConfig(
    instructions="You are Ada, a cheerful voice assistant. Answer in one short sentence.",
    max_sentences=1,
    temperature=0.0,
)
TURN_TIMEOUT_S = 60.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--engine", default="embedded", help="engine to serve and measure (default: embedded)")
    parser.add_argument("--url", default=None, help="measure this realtime endpoint instead of our own")
    parser.add_argument("--token", default=None, help="bearer token for --url")
    parser.add_argument("--turns", type=int, default=6, help="typed turns per path")
    parser.add_argument("--round-trips", type=int, default=40, help="session.update round trips per path")
    parser.add_argument("--json-only", action="store_true", help="print only the final JSON line")


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


# --------------------------------------------------------------------------- server-side stamps


class _StampedSession:
    """Gives every server event an id and records when the engine produced it."""

    def __init__(self, inner: EngineSession, produced: dict[str, float]) -> None:
        self._inner = inner
        self._produced = produced
        self._count = 0

    async def send(self, event: Any) -> None:
        await self._inner.send(event)

    async def events(self) -> AsyncIterator[ServerEvent]:
        async for event in self._inner.events():
            self._count += 1
            event_id = f"bench_{id(self)}_{self._count}"
            self._produced[event_id] = time.perf_counter()
            yield event.model_copy(update={"event_id": event_id})

    async def close(self) -> None:
        await self._inner.close()


class StampingEngine:
    """Wraps an engine so the bench can tell when each server event was produced."""

    def __init__(self, inner: Engine, produced: dict[str, float]) -> None:
        self._inner = inner
        self._produced = produced
        self.name = inner.name

    def availability(self) -> Availability:
        return self._inner.availability()

    def voices(self) -> list[VoiceInfo]:
        return self._inner.voices()

    async def open_session(self, config: SessionConfig) -> _StampedSession:
        return _StampedSession(await self._inner.open_session(config), self._produced)


# --------------------------------------------------------------------------- one path, measured


class _MeasuredPath:
    """One session (in process or over the socket) and what was measured on it."""

    def __init__(self, session: EngineSession, produced: dict[str, float] | None) -> None:
        self.session = session
        self._events = session.events()
        self._produced = produced
        self.results: dict[str, list[float]] = {
            "round_trip_ms": [],
            "first_audio_ms": [],
            "event_delay_ms": [],
            "audio_delta_delay_ms": [],
        }

    async def until(self, kind: str) -> ServerEvent:
        async def loop() -> ServerEvent:
            async for event in self._events:
                received = time.perf_counter()
                if self._produced is not None and event.event_id in self._produced:
                    delay = (received - self._produced.pop(event.event_id)) * 1000
                    self.results["event_delay_ms"].append(delay)
                    if event.type == "response.audio.delta":
                        self.results["audio_delta_delay_ms"].append(delay)
                if event.type == "error":
                    raise RuntimeError(f"engine error: {event.error.message}")
                if event.type == kind:
                    return event
            raise RuntimeError(f"session ended before {kind}")

        return await asyncio.wait_for(loop(), TURN_TIMEOUT_S)

    async def ready(self) -> None:
        await self.until("session.created")
        await self.until("session.updated")  # the bench's config is applied

    async def round_trip(self, index: int) -> None:
        started = time.perf_counter()
        await self.session.send(SessionUpdate(session=SessionConfig(temperature=0.0, max_sentences=2 - index % 2)))
        await self.until("session.updated")
        self.results["round_trip_ms"].append((time.perf_counter() - started) * 1000)

    async def turn(self, prompt: str) -> None:
        await self.session.send(ConversationItemCreate(item=ConversationItem(content=[ContentPart(text=prompt)])))
        started = time.perf_counter()
        await self.session.send(ResponseCreate())
        await self.until("response.audio.delta")
        self.results["first_audio_ms"].append((time.perf_counter() - started) * 1000)
        await self.until("response.done")


async def _measure(paths: dict[str, _MeasuredPath], turns: int, round_trips: int) -> dict[str, Any]:
    """Interleaved (in process, socket, in process, ...) so both paths see the same machine load."""
    for path in paths.values():
        await path.ready()
    for index in range(round_trips):
        for path in paths.values():
            await path.round_trip(index)
    for index in range(turns):
        for path in paths.values():
            await path.turn(PROMPTS[index % len(PROMPTS)])
    return {name: path.results for name, path in paths.items()}


def serve_engine_in_thread(engine: Engine, settings: Settings) -> tuple[Any, threading.Thread, int]:
    """Our /v1/realtime over `engine` alone, served by uvicorn in a thread on a free loopback port, with a
    scratch store; returns (server, its thread, port). Set `server.should_exit` and join to stop it."""
    from fastapi import FastAPI

    from stepaudio_ui.context import AppContext
    from stepaudio_ui.realtime.server import mount_realtime
    from stepaudio_ui.studio import store

    data_dir = Path(tempfile.mkdtemp(prefix="bench-realtime-"))
    bench_settings = settings.model_copy(update={"data_dir": data_dir, "database_url": None, "realtime_token": None})
    db = store.Database.from_settings(bench_settings)
    db.migrate()  # an empty library: the session config comes from the bench's session.update
    app = FastAPI()
    mount_realtime(app, AppContext(settings=bench_settings, db=db, engines={engine.name: engine}))
    return serve_in_thread(app, bench_settings)


def serve_in_thread(app: Any, settings: Settings) -> tuple[Any, threading.Thread, int]:
    """uvicorn serving `app` on a free loopback port in a thread (stop: `server.should_exit = True`)."""
    import socket

    import uvicorn

    from stepaudio_ui.web.uvicorn_setup import uvicorn_config

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn_config(app, settings, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="realtime-server", daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    return server, thread, port


async def _bench(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    from stepaudio_ui.engines import build_engines

    results: dict[str, Any] = {"engine": args.engine}
    if args.url:
        remote = RealtimeClientEngine(own_endpoint_service(url=args.url, token=args.token))
        session = await remote.open_session(BENCH_CONFIG)
        try:
            results.update(await _measure({"socket": _MeasuredPath(session, None)}, args.turns, args.round_trips))
        finally:
            await session.close()
        return results

    engine = build_engines(settings)[args.engine]
    if hasattr(engine, "start"):
        await engine.start()  # load models before timing anything
    produced: dict[str, float] = {}
    server, thread, port = serve_in_thread(StampingEngine(engine, produced), settings)
    sessions: list[EngineSession] = []
    try:
        local = await engine.open_session(BENCH_CONFIG)
        sessions.append(local)
        await local.send(SessionUpdate(session=BENCH_CONFIG))  # as the client engine does over the socket
        remote = RealtimeClientEngine(own_endpoint_service(url=f"ws://127.0.0.1:{port}/v1/realtime"))
        over_socket = await remote.open_session(BENCH_CONFIG)
        sessions.append(over_socket)
        paths = {"in_process": _MeasuredPath(local, None), "socket": _MeasuredPath(over_socket, produced)}
        results.update(await _measure(paths, args.turns, args.round_trips))
    finally:
        for session in sessions:
            await session.close()
        server.should_exit = True
        thread.join(timeout=10)
    return results


def summarise(results: dict[str, Any]) -> dict[str, Any]:
    summary: dict[str, Any] = {"engine": results["engine"]}
    for path in ("in_process", "socket"):
        for metric, values in results.get(path, {}).items():
            if values:
                summary[f"{path}.{metric}.p50"] = percentile(values, 0.5)
                summary[f"{path}.{metric}.p95"] = percentile(values, 0.95)
                summary[f"{path}.{metric}.n"] = len(values)
    for metric in ("round_trip_ms", "first_audio_ms"):
        inside, outside = summary.get(f"in_process.{metric}.p50"), summary.get(f"socket.{metric}.p50")
        if inside is not None and outside is not None:
            summary[f"added_by_socket.{metric}.p50"] = round(outside - inside, 2)
    return summary


def run(args: argparse.Namespace, settings: Settings) -> int:
    summary = summarise(asyncio.run(_bench(args, settings)))
    if not args.json_only:
        for key, value in summary.items():
            sys.stdout.write(f"{key:>42}: {value}\n")
    sys.stdout.write(json.dumps(summary) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    parser = argparse.ArgumentParser(prog="python -m stepaudio_ui.bench.realtime")
    add_arguments(parser)
    raise SystemExit(run(parser.parse_args(), Settings()))
