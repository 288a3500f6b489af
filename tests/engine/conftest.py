"""Real embedded models, loaded once for the whole test run, and a small client that talks to a session."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import numpy as np
import pytest

from model.embedded.engine import EmbeddedEngine, load_shared_models
from model.embedded.models import EmbeddedModels, EmbeddedOptions
from model.embedded.reply.llm import ChatMessage
from model.embedded.reply.plan import ReplyPlan
from model.embedded.reply.write import ReplyStats, ReplyWriter
from model.embedded.session import EmbeddedSession
from model.embedded.shared import SharedModels
from model.events import InputAudioBufferAppend, ServerEvent, SessionConfig, encode_pcm16
from stepaudio_ui.bench.utterances import Utterance, make_default_utterances, trim_silence

EVENT_TIMEOUT_S = 120.0  # generous: these machines are shared, and a slow CPU must not fail a correct engine
TEST_INSTRUCTIONS = "You are Ada, a cheerful helper. Answer briefly."


async def start_writer(
    response_id: str, shared: SharedModels, plan: ReplyPlan, messages: list[ChatMessage], stats: ReplyStats
) -> tuple[threading.Thread, asyncio.Queue[str | None]]:
    """A reply writer on its worker thread, as a session runs it, its first phrase already made by the voice
    (so only the text waiting for the voice holds it back); its phrases arrive on the queue, then None."""
    first_phrase_made = threading.Event()
    first_phrase_made.set()
    writer = ReplyWriter(
        response_id, shared, plan, messages, threading.Event(), threading.Event(), first_phrase_made, stats
    )
    phrases: asyncio.Queue[str | None] = asyncio.Queue()
    thread = threading.Thread(target=writer.generate, args=(asyncio.get_running_loop(), phrases), daemon=True)
    thread.start()
    return thread, phrases


@pytest.fixture(scope="session")
def embedded_models() -> EmbeddedModels:
    # Default options, like the realtime tests' engine: the process-wide cache then loads them only once.
    return load_shared_models(EmbeddedOptions())


@pytest.fixture(scope="session")
def utterances(embedded_models: EmbeddedModels, output_dir: Path) -> dict[str, Utterance]:
    """The project's own spoken test questions (also the bench's), kept in test-output/ for listening."""
    return {u.name: u for u in make_default_utterances(embedded_models.tts, output_dir / "engine")}


@pytest.fixture
def engine(embedded_models: EmbeddedModels) -> EmbeddedEngine:
    """Unpaced: reply audio is sent as fast as it is made, so tests do not wait out every reply."""
    return EmbeddedEngine(models=embedded_models, pace_audio=False)


@pytest.fixture
def paced_engine(embedded_models: EmbeddedModels) -> EmbeddedEngine:
    """Reply audio paced at real time, as a live client receives it (needed to barge in mid-reply)."""
    return EmbeddedEngine(models=embedded_models, pace_audio=True)


class Client:
    """Reads a session's events in the background; waits for the ones a test expects."""

    def __init__(self, session: EmbeddedSession) -> None:
        self.session = session
        self.events: list[ServerEvent] = []
        self._arrived = asyncio.Condition()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for event in self.session.events():
            async with self._arrived:
                self.events.append(event)
                self._arrived.notify_all()

    async def wait_for(
        self, predicate: Callable[[ServerEvent], bool], *, after: int = 0, timeout: float = EVENT_TIMEOUT_S
    ) -> ServerEvent:
        """The first event at index >= `after` that matches."""

        def found() -> ServerEvent | None:
            return next((e for e in self.events[after:] if predicate(e)), None)

        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(lambda: found() is not None), timeout)
        event = found()
        assert event is not None
        return event

    async def wait_type(self, kind: str, *, after: int = 0, timeout: float = EVENT_TIMEOUT_S) -> ServerEvent:
        return await self.wait_for(lambda e: e.type == kind, after=after, timeout=timeout)

    def of_type(self, kind: str, *, after: int = 0) -> list[ServerEvent]:
        return [e for e in self.events[after:] if e.type == kind]

    def reply_audio(self, response_id: str) -> np.ndarray:
        """All pcm16 of one response's audio deltas, as float32."""
        chunks = [e.delta for e in self.events if e.type == "response.audio.delta" and e.response_id == response_id]
        audio = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)
        return audio.astype(np.float32) / 32768.0

    async def speak(
        self,
        audio_24k: np.ndarray,
        *,
        rate: int = 24_000,
        trailing_silence_s: float = 1.2,
        real_time: bool = False,
        lead_s: float = 0.3,
    ) -> None:
        """Stream silence, speech, then silence in 20 ms appends; faster than real time unless `real_time`."""
        speech = trim_silence(audio_24k)
        lead = np.zeros(int(lead_s * rate), dtype=np.float32)
        tail = np.zeros(int(trailing_silence_s * rate), dtype=np.float32)
        audio = np.concatenate([lead, speech, tail])
        step = rate // 50
        for begin in range(0, audio.size, step):
            await self.session.send(InputAudioBufferAppend(audio=encode_pcm16(audio[begin : begin + step])))
            await asyncio.sleep(0.02 if real_time else 0)

    async def close(self) -> None:
        await self.session.close()
        await asyncio.wait_for(self._reader, 10)


@pytest.fixture
async def open_client() -> AsyncIterator[Callable[..., object]]:
    """`await open_client(engine, config)` -> a Client; every session is closed after the test."""
    clients: list[Client] = []

    async def _open(engine: EmbeddedEngine, config: SessionConfig | None = None) -> Client:
        session = await engine.open_session(config or SessionConfig(instructions=TEST_INSTRUCTIONS, language="en"))
        client = Client(session)
        clients.append(client)
        return client

    yield _open
    for client in clients:
        await client.close()
