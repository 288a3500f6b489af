"""Fixtures for the /v1/realtime tests: a real uvicorn server on a real port, the real embedded engine,
a real SQLite library with a persona and a scene tone, spoken test audio, and a TCP relay that can
cut a connection the way a network does."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
import threading
import time
import wave
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi import FastAPI

from model.events import DEFAULT_SAMPLE_RATE, encode_pcm16

PERSONA_SLUG = "ada"
SCENE_SLUG = "quiet-chat"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RunningServer:
    app: FastAPI
    ctx: Any
    port: int

    @property
    def ws_base(self) -> str:
        return f"ws://127.0.0.1:{self.port}/v1"

    @property
    def url(self) -> str:
        return f"{self.ws_base}/realtime"


@contextlib.contextmanager
def serve(app: FastAPI, settings: Any) -> Iterator[int]:
    """uvicorn on a free loopback port in a thread, set up as the app's own server is for `settings`;
    stopped (and its sockets closed) on exit."""
    import uvicorn

    from stepaudio_ui.web.uvicorn_setup import uvicorn_config

    port = free_port()
    config = uvicorn_config(app, settings, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start within 10 s")
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def make_library(settings: Any) -> Any:
    """A migrated SQLite store holding one scene tone and one persona whose home scene it is, both published."""
    from stepaudio_ui.studio import library as studio
    from stepaudio_ui.studio import store

    db = store.Database.from_settings(settings)
    db.migrate()
    with db.session() as s:
        studio.create_item(
            s,
            kind="scene",
            slug=SCENE_SLUG,
            author="tests",
            spec={"name": "Quiet chat", "verbosity": 1, "turn_taking": {"silence_ms": 400}},
        )
        studio.publish_version(s, kind="scene", slug=SCENE_SLUG, number=1)
        studio.create_item(
            s,
            kind="persona",
            slug=PERSONA_SLUG,
            author="tests",
            spec={
                "name": "Ada",
                "character": "A patient museum guide who loves old clocks.",
                "voice": "jf_alpha",
                "speed": 1.1,
                "home_scene": SCENE_SLUG,
            },
        )
        studio.publish_version(s, kind="persona", slug=PERSONA_SLUG, number=1)
    return db


@pytest.fixture(scope="session")
def embedded_engine() -> Any:
    """The real embedded engine, models loaded once for the whole test session."""
    from model.embedded.engine import EmbeddedEngine

    engine = EmbeddedEngine()
    asyncio.run(engine.start())
    return engine


@pytest.fixture(scope="session")
def unpaced_engine(embedded_engine: Any) -> Any:
    """The same loaded models, replies sent as fast as they are made (for tests that don't barge in)."""
    from model.embedded.engine import EmbeddedEngine

    return EmbeddedEngine(models=embedded_engine.models, pace_audio=False)


def build_realtime_app(settings: Any, engines: dict[str, Any]) -> tuple[FastAPI, Any]:
    from stepaudio_ui.context import AppContext
    from stepaudio_ui.realtime.server import mount_realtime

    ctx = AppContext(settings=settings, db=make_library(settings), engines=engines)
    app = FastAPI()
    mount_realtime(app, ctx)
    return app, ctx


@pytest.fixture
def realtime_server(settings: Any, embedded_engine: Any) -> Iterator[RunningServer]:
    """Our endpoint over the embedded engine, replies paced at real time like a live call."""
    app, ctx = build_realtime_app(settings, {"embedded": embedded_engine})
    with serve(app, ctx.settings) as port:
        yield RunningServer(app=app, ctx=ctx, port=port)


@pytest.fixture
def fast_server(settings: Any, unpaced_engine: Any) -> Iterator[RunningServer]:
    app, ctx = build_realtime_app(settings, {"embedded": unpaced_engine})
    with serve(app, ctx.settings) as port:
        yield RunningServer(app=app, ctx=ctx, port=port)


# --------------------------------------------------------------------------- raw WebSocket clients

EVENT_TIMEOUT_S = 30.0


async def next_event(ws: Any, wanted: str | None = None) -> dict[str, Any]:
    """The next server event on a raw `websockets` connection (of type `wanted`, skipping others)."""
    import json

    while True:
        event = json.loads(await asyncio.wait_for(ws.recv(), EVENT_TIMEOUT_S))
        if wanted is None or event["type"] == wanted:
            return event


async def closed_code(ws: Any, timeout_s: float = EVENT_TIMEOUT_S) -> int | None:
    """The close code the server sent, reading (and dropping) any events before it."""
    from websockets.exceptions import ConnectionClosed

    try:
        while True:
            await asyncio.wait_for(ws.recv(), timeout_s)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


# --------------------------------------------------------------------------- spoken test audio


def speech_24k(text: str, tmp_dir: Path) -> np.ndarray:
    """int16 24 kHz speech of `text` from espeak-ng (robotic, but Whisper reads it)."""
    from model.audio import float_to_int16, int16_to_float, resample

    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed: apt-get install espeak-ng")
    path = tmp_dir / "speech.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(path), text], check=True)
    with wave.open(str(path)) as wav:
        rate = wav.getframerate()
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    return float_to_int16(resample(int16_to_float(samples), rate, DEFAULT_SAMPLE_RATE))


def audio_chunks(samples: np.ndarray, *, chunk_ms: int = 100, trailing_silence_ms: int = 0) -> list[str]:
    """base64 pcm16 chunks of `chunk_ms`, optionally followed by silence (so the VAD sees the end)."""
    silence = np.zeros(int(DEFAULT_SAMPLE_RATE * trailing_silence_ms / 1000), dtype=np.int16)
    audio = np.concatenate([samples, silence])
    step = DEFAULT_SAMPLE_RATE * chunk_ms // 1000
    return [encode_pcm16(audio[i : i + step]) for i in range(0, audio.size, step)]


# --------------------------------------------------------------------------- a relay we can cut


class TcpRelay:
    """Forwards a loopback TCP port to another; `cut()` drops every connection without a close frame."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self._server: asyncio.base_events.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self._writers += [writer, up_writer]

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    def cut(self) -> None:
        for writer in self._writers:
            transport = writer.transport
            transport.abort()  # RST, no WebSocket close frame: what a dropped network looks like
        self._writers.clear()

    async def close(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


@pytest.fixture
async def relay_factory() -> AsyncIterator[Any]:
    relays: list[TcpRelay] = []

    async def make(target_port: int) -> TcpRelay:
        relay = TcpRelay(target_port)
        await relay.start()
        relays.append(relay)
        return relay

    yield make
    for relay in relays:
        await relay.close()
