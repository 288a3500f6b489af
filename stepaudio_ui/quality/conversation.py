"""Drive one engine session through a scripted conversation and collect each reply (text, audio, latency).

Engine-agnostic: it only speaks the realtime events (`conversation.item.create` + `response.create`
for typed turns; `input_audio_buffer.append` + `commit` for audio clips), so any engine can be checked.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from model.events import (
    DEFAULT_SAMPLE_RATE,
    ContentPart,
    ConversationItem,
    ConversationItemCreate,
    InputAudioBufferAppend,
    InputAudioBufferCommit,
    ResponseCreate,
    ServerEvent,
    SessionConfig,
    TurnTimings,
)
from model.protocol import Engine, EngineSession

GREETING_START_TIMEOUT_S = 30.0  # the embedded engine starts its greeting at once; others never do
REPLY_TIMEOUT_S = 180.0  # shared 2-core machines: a slow reply is not a failed check, a stuck one is


class EngineReplyError(RuntimeError):
    """The engine reported an error or gave no reply in time; the message says which turn and why."""


@dataclass(frozen=True)
class CollectedReply:
    user_text: str
    text: str
    audio: np.ndarray  # float32 mono at `sample_rate`
    sample_rate: int
    latency_ms: float | None
    timings: TurnTimings | None = None  # the engine's own stage times (`response.done`), where it sends them

    @property
    def audio_seconds(self) -> float:
        return self.audio.size / self.sample_rate if self.sample_rate else 0.0


def read_clip(path: Path, rate: int) -> np.ndarray:
    """A WAV clip as float32 mono at `rate`."""
    audio, clip_rate = sf.read(str(path), dtype="float32", always_2d=True)
    mono = audio.mean(axis=1)
    return soxr.resample(mono, clip_rate, rate).astype(np.float32) if clip_rate != rate else mono


class ScriptedConversation:
    """`async with ScriptedConversation(engine, config) as talk: await talk.greeting(); await talk.say(...)`."""

    def __init__(self, engine: Engine, config: SessionConfig, *, reply_timeout_s: float = REPLY_TIMEOUT_S) -> None:
        self._engine = engine
        self._config = config
        self._reply_timeout_s = reply_timeout_s
        self._session: EngineSession | None = None
        self._queue: asyncio.Queue[ServerEvent | None] = asyncio.Queue()
        self._reader: asyncio.Task[None] | None = None
        self.output_rate = config.output_sample_rate or DEFAULT_SAMPLE_RATE
        self.input_rate = config.input_sample_rate or DEFAULT_SAMPLE_RATE

    async def __aenter__(self) -> ScriptedConversation:
        self._session = await self._engine.open_session(self._config)
        self._reader = asyncio.create_task(self._read(self._session))
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._session is not None:
            await self._session.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader

    async def _read(self, session: EngineSession) -> None:
        async for event in session.events():
            await self._queue.put(event)
        await self._queue.put(None)

    async def _collect(self, what: str, user_text: str, sent_at: float) -> CollectedReply:
        """Events up to the next `response.done`: its transcript, audio and time to first audio."""
        text_parts: list[str] = []
        final_text: str | None = None
        chunks: list[np.ndarray] = []
        first_audio: float | None = None
        deadline = time.monotonic() + self._reply_timeout_s
        while True:
            remaining = deadline - time.monotonic()
            try:
                event = await asyncio.wait_for(self._queue.get(), max(remaining, 0.001))
            except TimeoutError as error:
                raise EngineReplyError(
                    f"{what}: no reply from the {self._engine.name} engine within {self._reply_timeout_s:.0f} s"
                ) from error
            if event is None:
                raise EngineReplyError(f"{what}: the {self._engine.name} session ended before replying")
            if event.type == "error":
                raise EngineReplyError(f"{what}: the {self._engine.name} engine said: {event.error.message}")
            if event.type == "conversation.item.input_audio_transcription.completed":
                user_text = f"{user_text}: {event.transcript.strip()}"  # what the engine heard
            elif event.type == "response.audio.delta":
                if first_audio is None:
                    first_audio = time.perf_counter()
                chunks.append(event.delta)
            elif event.type == "response.audio_transcript.delta":
                text_parts.append(event.delta)
            elif event.type == "response.audio_transcript.done":
                final_text = event.transcript
            elif event.type == "response.done":
                audio = np.concatenate(chunks).astype(np.float32) / 32768.0 if chunks else np.zeros(0, np.float32)
                latency = (first_audio - sent_at) * 1000.0 if first_audio is not None else None
                text = final_text if final_text is not None else "".join(text_parts)
                timings = event.response.timings
                return CollectedReply(user_text, text.strip(), audio, self.output_rate, latency, timings)

    async def greeting(self, start_timeout_s: float = GREETING_START_TIMEOUT_S) -> CollectedReply | None:
        """The greeting the session speaks on its own at start, or None when the engine starts none in time
        (remote realtime services are not sent our greeting field, so they stay silent)."""
        started = time.perf_counter()
        deadline = time.monotonic() + start_timeout_s
        while True:
            try:
                event = await asyncio.wait_for(self._queue.get(), max(deadline - time.monotonic(), 0.001))
            except TimeoutError:
                return None
            if event is None or event.type == "error":
                return None
            if event.type == "response.created":
                return await self._collect("greeting", "", started)

    async def settle(self) -> None:
        """Give the engine the moment a listener gives it (hearing the greeting or the last reply out):
        an embedded session finishes evaluating its next prompt; other engines have nothing to wait for."""
        ready = getattr(self._session, "prompt_ready", None)
        if ready is not None:
            await ready()

    async def say(self, text: str, what: str) -> CollectedReply:
        assert self._session is not None
        sent = time.perf_counter()
        item = ConversationItem(role="user", content=[ContentPart(type="input_text", text=text)])
        await self._session.send(ConversationItemCreate(item=item))
        await self._session.send(ResponseCreate())
        return await self._collect(what, text, sent)

    async def speak(self, clip: Path, what: str) -> CollectedReply:
        """Stream a clip in 20 ms appends (as fast as accepted), then commit it as the user's turn.

        No trailing silence: the commit, not the engine's silence detection, ends the turn, so the
        check does not depend on turn-taking settings."""
        assert self._session is not None
        lead = np.zeros(int(0.3 * self.input_rate), np.float32)  # the VAD needs a moment of quiet first
        audio = np.concatenate([lead, read_clip(clip, self.input_rate)])
        step = self.input_rate // 50
        for begin in range(0, audio.size, step):
            await self._session.send(InputAudioBufferAppend(audio=audio[begin : begin + step]))
            await asyncio.sleep(0)
        sent = time.perf_counter()
        await self._session.send(InputAudioBufferCommit())
        return await self._collect(what, f"[audio {clip.name}]", sent)
