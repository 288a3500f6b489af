"""Spoken turns on any EngineSession, fed like a microphone, for `stepaudio-ui bench engine`.

A turn is: lead silence, the utterance in 20 ms chunks at real-time pace, then silence that keeps
streaming until the reply is over. "Over" is read from the event stream alone, so it holds for every
engine (in process or behind a realtime socket): a response created after the server heard the end
of this utterance has finished (`response.done`), no other response is in flight, and the reply audio
received has had time to play out at the client, as a person would listen to it before speaking again.

Every event is stamped when this process receives it; the time the user waits (end of speech -> first
reply audio) is measured on that client clock. The engine's own stage figures come from
`response.timings` (our extension) when the engine sends it, and are left empty when it does not.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import numpy as np

from model.events import (
    InputAudioBufferAppend,
    InputAudioTranscription,
    ServerEvent,
    SessionConfig,
    SessionUpdate,
    TurnDetection,
    now_ms,
)
from model.protocol import Engine, EngineSession
from stepaudio_ui.bench.turn_state import TurnResult, TurnState, turn_result
from stepaudio_ui.bench.utterances import SAMPLE_RATE, Utterance, trim_silence

logger = logging.getLogger(__name__)

CHUNK_MS = 20
LEAD_SILENCE_MS = 300
AFTER_REPLY_MS = 400
TURN_TIMEOUT_S = 120.0
BENCH_INSTRUCTIONS = "You are Ada, a cheerful and helpful voice assistant. Answer the question directly and briefly."
# errors after which the session can say nothing more: the remaining turns are not attempted
_FATAL_ERROR_CODES = frozenset({"connection_lost", "session_closed", "session_failed"})


class MicrophonePace:
    """When the next 20 ms chunk is due: an absolute schedule, so a slow iteration does not make the
    "microphone" drift behind real time (after a stall it starts again from now, it does not burst)."""

    def __init__(self) -> None:
        self._next = time.monotonic()

    def restart(self) -> None:
        self._next = time.monotonic()

    async def next_chunk(self) -> None:
        self._next += CHUNK_MS / 1000
        delay = self._next - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            self._next = time.monotonic()


@dataclass(frozen=True)
class HeardTurn:
    """One turn as the bench keeps it for the figures timed afterwards (`floor`, `first_chunk`)."""

    utterance: Utterance
    result: TurnResult
    reply_audio: np.ndarray  # float32 at SAMPLE_RATE, as received
    history: tuple[tuple[str, str], ...]  # the (role, text) turns before this one


class SpokenTurnDriver:
    """One session of an engine, fed like a microphone: speech, then silence until the reply is heard out.

    `await open()`, then `await turn(utterance)` per utterance (other work may run between turns, e.g. the
    baseline on the same utterance), then `await close()`; or `await run(utterances)` for all of it."""

    def __init__(
        self,
        engine: Engine,
        index: int,
        silence_ms: int,
        max_sentences: int,
        *,
        same_clock: bool,
        voice: str | None = None,
        create_response: bool = True,
    ) -> None:
        self._engine = engine
        self._index = index
        self._silence_ms = silence_ms
        # in process (or over loopback to this machine) the engine's timestamps share our clock
        self._same_clock = same_clock
        self.config = SessionConfig(
            instructions=BENCH_INSTRUCTIONS,
            voice=voice,  # None: the engine's default voice
            language="auto",
            max_sentences=max_sentences,
            turn_detection=TurnDetection(silence_duration_ms=silence_ms, create_response=create_response),
            input_audio_transcription=InputAudioTranscription(),
        )
        self._events: asyncio.Queue[tuple[float, ServerEvent] | None] = asyncio.Queue()
        self._ended = False
        self._pace = MicrophonePace()
        self._session: EngineSession | None = None
        self._reader: asyncio.Task[None] | None = None
        self.heard: list[HeardTurn] = []
        # Per turn, every end of turn the server announced (speech_stopped), in ms of the utterance's own
        # audio: a turn set with pauses inside sentences counts the ends that fell inside a pause.
        self.ends_heard_ms: list[list[float]] = []

    @property
    def ended(self) -> bool:
        return self._ended

    async def run(
        self, utterances: list[Utterance], before_turn: Callable[[int], Awaitable[None]] | None = None
    ) -> list[TurnResult]:
        """Every utterance as one turn; raises whatever the engine raises when the session can't open.
        `before_turn(index)` runs before each turn (e.g. to change what else loads the server)."""
        await self.open()
        results: list[TurnResult] = []
        try:
            for utterance in utterances:
                if self._ended:
                    logger.warning("session %d ended: %d turn(s) not run", self._index, len(utterances) - len(results))
                    break
                if before_turn is not None:
                    await before_turn(len(results))
                    self._pace.restart()  # the "microphone" starts now, not when the hook began
                results.append(await self.turn(utterance))
        finally:
            await self.close()
        return results

    async def open(self) -> None:
        self._session = await self._engine.open_session(self.config)
        self._reader = asyncio.create_task(self._read(self._session))
        self._pace.restart()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._reader is not None:
            self._reader.cancel()

    async def turn(self, utterance: Utterance) -> TurnResult:
        assert self._session is not None, "open() the driver first"
        language = utterance.language if utterance.language in ("en", "zh") else "auto"
        await self._session.send(SessionUpdate(session=SessionConfig(language=language)))
        result, state = await self._turn(self._session, utterance)
        history = tuple(
            (role, text)
            for h in self.heard
            for role, text in (("user", h.result.transcript), ("assistant", h.result.reply))
            if text
        )
        self.heard.append(HeardTurn(utterance, result, state.reply_audio(), history))
        return result

    async def _read(self, session: EngineSession) -> None:
        async for event in session.events():
            self._events.put_nowait((now_ms(), event))
        self._events.put_nowait(None)

    async def _send_chunk(self, session: EngineSession, chunk: np.ndarray) -> None:
        await self._pace.next_chunk()
        await session.send(InputAudioBufferAppend(audio=chunk))

    def _drain(self, state: TurnState | None) -> None:
        while not self._events.empty():
            item = self._events.get_nowait()
            if item is None:
                self._ended = True
            elif state is not None:
                self._observe(state, *item)

    def _observe(self, state: TurnState, at_ms: float, event: ServerEvent) -> None:
        kind = event.type
        if kind == "input_audio_buffer.speech_started":
            state.awaiting_answer, state.speaking = self._answers, True  # its answer is still due
            if state.heard_end:
                state.speaker_went_on()
        elif kind in ("input_audio_buffer.speech_stopped", "input_audio_buffer.committed"):
            if kind == "input_audio_buffer.speech_stopped":
                self.ends_heard_ms[-1].append(at_ms)
                state.ends += 1
            state.heard_end, state.speaking = True, False
            state.awaiting_answer = self._answers
        elif kind == "response.created":
            state.awaiting_answer = False
            state.in_flight.add(event.response.id)
            if state.heard_end:
                state.ours.add(event.response.id)
        elif kind == "response.audio_transcript.delta" and event.response_id in state.ours:
            if state.first_phrase is None:
                state.first_phrase = event.delta.strip()
        elif kind == "response.audio.delta" and event.response_id in state.ours:
            if state.first_audio_at_ms is None:
                state.first_audio_at_ms = at_ms
            pcm = event.delta.tobytes()
            state.audio.append(pcm)
            state.heard_audio(at_ms, len(pcm) // 2 * 1000 / SAMPLE_RATE, event.response_id)  # pcm16 at 24 kHz
        elif kind == "response.done":
            state.in_flight.discard(event.response.id)
            if event.response.id in state.ours:
                state.finished.append(event.response)
        elif kind == "conversation.item.input_audio_transcription.completed":
            # A pause inside the utterance can end a turn early; the ASR still heard every part.
            state.transcript = f"{state.transcript} {event.transcript}".strip()
            state.transcripts += 1
            state.language = getattr(event, "language", None) or state.language
            state.heard_nothing = not state.transcript
            if not event.transcript:
                state.awaiting_answer = False  # nothing was heard in that part: no reply will come
        elif kind == "error":
            logger.warning("session %d: %s", self._index, event.error.message)
            if event.error.code in _FATAL_ERROR_CODES:
                self._ended = True

    async def _turn(self, session: EngineSession, utterance: Utterance) -> tuple[TurnResult, TurnState]:
        step = SAMPLE_RATE * CHUNK_MS // 1000
        lead = np.zeros(SAMPLE_RATE * LEAD_SILENCE_MS // 1000, dtype=np.float32)
        audio = np.concatenate([lead, trim_silence(utterance.audio)])
        silence = np.zeros(step, dtype=np.float32)
        self._drain(None)  # whatever is left of the previous turn is not this one's
        state = TurnState(language=utterance.language)
        self.ends_heard_ms.append([])
        started = now_ms() + LEAD_SILENCE_MS  # when the utterance's first sample is "spoken"
        for begin in range(0, audio.size, step):
            await self._send_chunk(session, audio[begin : begin + step])
            self._drain(state)
        speech_end = now_ms()  # the last voiced sample has just been "spoken"
        deadline = time.monotonic() + TURN_TIMEOUT_S
        while not self._ended and time.monotonic() < deadline and not self._turn_over(state):
            await self._send_chunk(session, silence)
            self._drain(state)
            if state.heard_nothing and not state.ours:
                deadline = min(deadline, time.monotonic() + 1.0)  # heard nothing: no reply will come
        # A little more silence: a late transcript still counts, and the next question does not rush in.
        for _ in range(AFTER_REPLY_MS // CHUNK_MS):
            if self._ended:
                break
            await self._send_chunk(session, silence)
            self._drain(state)
        self.ends_heard_ms[-1] = [at - started for at in self.ends_heard_ms[-1]]
        result = turn_result(
            state,
            utterance,
            speech_end,
            session=self._index,
            same_clock=self._same_clock,
            silence_ms=self._silence_ms,
            ended=self._ended,
        )
        return result, state

    @property
    def _answers(self) -> bool:
        return self.config.turn_detection is None or self.config.turn_detection.create_response

    def _turn_over(self, state: TurnState) -> bool:
        if not self._answers:  # no reply will come: over once the last part of the utterance is transcribed
            return state.heard_end and not state.speaking and state.transcripts >= state.ends
        return state.reply_over(now_ms())
