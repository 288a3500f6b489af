"""The hostile side of `stepaudio-ui bench flood`: clients that misuse /v1/realtime and the UI, run in a
process of their own (so their Python work does not share the server's interpreter lock), until told to stop.

Kinds, given out in turn to the N clients:
- malformed: bad JSON, `audio: 5`, nesting 5,000 deep, a 5,000-digit number, unknown events, binary frames;
- oversized: messages just over the server's size limit, twice a second;
- slow-reading: a small receive buffer, never reads, keeps asking for answers (session.update);
- idle: opens a realtime session and sends nothing;
- ui: wrong passwords on /login, cross-site API calls, a rebound Host name, and the page itself.
Each counts what the server answered (error codes, HTTP statuses, closes); the counts come back as a dict.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import multiprocessing
import os
import socket
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus, WebSocketException

KINDS = ("malformed", "oversized", "slow_reading", "idle", "ui")
MALFORMED = (
    "{not json",
    json.dumps({"type": "session.update", "session": {"audio": 5}}),
    "[" * 5_000 + "]" * 5_000,
    '{"type": "session.update", "session": {"temperature": 1' + "0" * 5_000 + "}}",
    json.dumps({"type": "session.teleport"}),
    b"\x00\xff binary",
)
RETRY_S = 0.5  # a refused or dropped client tries again after this


@dataclass(frozen=True)
class Target:
    http_url: str  # http://127.0.0.1:PORT/
    realtime_url: str  # ws://127.0.0.1:PORT/v1/realtime
    max_message_bytes: int


async def _tally_events(ws: ClientConnection, tally: Counter[str], kind: str) -> None:
    async for raw in ws:
        if isinstance(raw, str):
            event = json.loads(raw)
            if event.get("type") == "error":
                tally[f"{kind}:error:{event['error'].get('code')}"] += 1


async def _session(
    url: str,
    stop: asyncio.Event,
    tally: Counter[str],
    kind: str,
    body: Callable[[ClientConnection], Awaitable[None]],
    *,
    new_socket: Callable[[], Awaitable[socket.socket]] | None = None,
    **options: Any,
) -> None:
    """Connect again and again until `stop`, running `body(ws)` on each connection."""
    while not stop.is_set():
        try:
            if new_socket is not None:
                options["sock"] = await new_socket()
            async with connect(url, open_timeout=10, close_timeout=1, compression=None, **options) as ws:
                tally[f"{kind}:connected"] += 1
                await body(ws)
        except (WebSocketException, OSError, TimeoutError) as error:
            tally[f"{kind}:closed:{type(error).__name__}"] += 1
        if not stop.is_set():
            await asyncio.sleep(RETRY_S)


async def malformed(target: Target, stop: asyncio.Event, tally: Counter[str]) -> None:
    async def body(ws: ClientConnection) -> None:
        reader = asyncio.create_task(_tally_events(ws, tally, "malformed"))
        try:
            while not stop.is_set() and not reader.done():
                for payload in MALFORMED:
                    await ws.send(payload)
                    await asyncio.sleep(0.05)
        finally:
            reader.cancel()

    await _session(target.realtime_url, stop, tally, "malformed", body)


async def oversized(target: Target, stop: asyncio.Event, tally: Counter[str]) -> None:
    padding = "A" * (target.max_message_bytes + 1_000)
    message = json.dumps({"type": "input_audio_buffer.append", "audio": padding})

    async def body(ws: ClientConnection) -> None:
        reader = asyncio.create_task(_tally_events(ws, tally, "oversized"))
        try:
            while not stop.is_set() and not reader.done():
                await ws.send(message)
                await asyncio.sleep(0.5)
        finally:
            reader.cancel()

    await _session(target.realtime_url, stop, tally, "oversized", body, max_size=None)


async def slow_reading(target: Target, stop: asyncio.Event, tally: Counter[str]) -> None:
    port = urlsplit(target.realtime_url).port or 80
    update = json.dumps({"type": "session.update", "session": {"instructions": "Answer in one word."}})

    async def body(ws: ClientConnection) -> None:
        while not stop.is_set():  # never reads: the server's answers pile up on its side
            await ws.send(update)
            await asyncio.sleep(1 / 150)  # under the default 200 messages per second

    async def small_buffer_socket() -> socket.socket:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connecting: a small TCP window
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
        return sock

    await _session(target.realtime_url, stop, tally, "slow_reading", body, new_socket=small_buffer_socket, max_queue=1)


async def idle(target: Target, stop: asyncio.Event, tally: Counter[str]) -> None:
    async def body(ws: ClientConnection) -> None:
        reader = asyncio.create_task(_tally_events(ws, tally, "idle"))
        stopped = asyncio.create_task(stop.wait())
        await asyncio.wait({reader, stopped}, return_when=asyncio.FIRST_COMPLETED)
        reader.cancel()
        stopped.cancel()

    await _session(target.realtime_url, stop, tally, "idle", body)


async def ui(target: Target, stop: asyncio.Event, tally: Counter[str]) -> None:
    host = urlsplit(target.http_url).netloc
    save = target.http_url + "gradio_api/call/persona_save"
    rebound = {"Host": f"rebind.evil.example:{host.split(':')[-1]}"}
    async with httpx.AsyncClient(timeout=10) as client:
        for round_number in itertools.count():
            if stop.is_set():
                return
            attempts = {
                "login": client.post(target.http_url + "login", data={"username": "admin", "password": "guess"}),
                "cross_site": client.post(save, json={"data": []}, headers={"Origin": "https://evil.example"}),
                "rebind": client.get(target.http_url, headers=rebound),
            }
            if round_number % 5 == 0:  # the page itself: allowed to anyone, and the dearest to render
                attempts["page"] = client.get(target.http_url)
            for name, attempt in attempts.items():
                try:
                    tally[f"ui:{name}:{(await attempt).status_code}"] += 1
                except httpx.HTTPError as error:
                    tally[f"ui:{name}:{type(error).__name__}"] += 1
            await asyncio.sleep(0.2)


CLIENTS: dict[str, Callable[[Target, asyncio.Event, Counter[str]], Awaitable[None]]] = {
    "malformed": malformed, "oversized": oversized, "slow_reading": slow_reading, "idle": idle, "ui": ui,
}  # fmt: skip


async def flood(target: Target, count: int, stopped: Callable[[], bool]) -> dict[str, int]:
    """`count` hostile clients until `stopped()`; what the server answered them, counted."""
    tally: Counter[str] = Counter()
    stop = asyncio.Event()
    tasks = [asyncio.create_task(CLIENTS[KINDS[index % len(KINDS)]](target, stop, tally)) for index in range(count)]
    while not stopped():
        await asyncio.sleep(0.1)
    stop.set()
    await asyncio.sleep(0.5)
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, WebSocketException, OSError, InvalidStatus):
            await task
    return dict(tally)


def flood_process(target: Target, count: int, stop: Any, results: Any) -> None:
    """Entry point of the hostile process (multiprocessing, spawn): flood until `stop` is set.

    At the lowest CPU priority: on a machine the server shares with its attackers, what is measured is
    the server's cost of handling the flood, not the CPU the attackers themselves burn (remote ones would
    not burn it here)."""
    if hasattr(os, "nice"):
        os.nice(19)
    results.put(asyncio.run(flood(target, count, stop.is_set)))


class ResultProcess:
    """A spawned process that works until told to stop, then hands back one result (picklable)."""

    CONTEXT = multiprocessing.get_context("spawn")  # no fork of a process holding models and threads

    def __init__(self, work: Callable[..., None], *args: Any, name: str) -> None:
        self._stop = self.CONTEXT.Event()
        self._results = self.CONTEXT.Queue()
        self._process = self.CONTEXT.Process(
            target=work, args=(*args, self._stop, self._results), name=name, daemon=True
        )

    def start(self) -> None:
        self._process.start()

    def stop(self) -> Any:
        self._stop.set()
        try:
            return self._results.get(timeout=60)
        finally:
            self._process.join(timeout=10)
            if self._process.is_alive():
                self._process.kill()


class HostileProcess(ResultProcess):
    """The flood: `start()` begins it, `stop()` ends it and returns what the server answered, counted."""

    def __init__(self, target: Target, count: int) -> None:
        super().__init__(flood_process, target, count, name="bench-flood")


# --------------------------------------------------------------------------- health checks, from outside


HEALTH_EVERY_S = 0.25
HEALTH_TIMEOUT_S = 5.0
PHASES = ("quiet", "flood")


async def watch_health(url: str, phase: Any, stopped: Callable[[], bool]) -> dict[str, Any]:
    """GET `url` every 250 ms until `stopped()`: answer times (ms) per phase, and every failure."""
    times: dict[str, list[float]] = {name: [] for name in PHASES}
    failures: list[str] = []
    async with httpx.AsyncClient(timeout=HEALTH_TIMEOUT_S) as client:
        while not stopped():
            name, started = PHASES[phase.value], time.perf_counter()
            try:
                answer = await client.get(url)
                if answer.status_code == 200:
                    times[name].append((time.perf_counter() - started) * 1000)
                else:
                    failures.append(f"{name}: HTTP {answer.status_code}")
            except httpx.HTTPError as error:
                failures.append(f"{name}: {type(error).__name__}")
            await asyncio.sleep(HEALTH_EVERY_S)
    return {"times": times, "failures": failures}


def health_process(url: str, phase: Any, stop: Any, results: Any) -> None:
    """Entry point of the health-check process: its own interpreter, so its clock is not the server's."""
    results.put(asyncio.run(watch_health(url, phase, stop.is_set)))


class HealthProcess(ResultProcess):
    """/healthz asked from another process; `set_phase` labels each answer quiet or flood."""

    def __init__(self, url: str) -> None:
        self.phase = self.CONTEXT.Value("i", 0)
        super().__init__(health_process, url, self.phase, name="bench-health")

    def set_phase(self, flooded: bool) -> None:
        self.phase.value = 1 if flooded else 0
