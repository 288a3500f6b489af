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
import base64
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import numpy as np

from model.events import (
    InputAudioBufferAppend,
    InputAudioTranscription,
    ResponseInfo,
    ServerEvent,
    SessionConfig,
    SessionUpdate,
    TurnDetection,
    TurnTimings,
    encode_pcm16,
    now_ms,
)
from model.protocol import Engine, EngineSession
from stepaudio_ui.bench.utterances import SAMPLE_RATE, Utterance, error_units, trim_silence

logger = logging.getLogger(__name__)

CHUNK_MS = 20
LEAD_SILENCE_MS = 300
AFTER_REPLY_MS = 400
STALL_SLACK_MS = 20  # one audio frame late is scheduling jitter, not a stall
TURN_TIMEOUT_S = 120.0
BENCH_INSTRUCTIONS = "You are Ada, a cheerful and helpful voice assistant. Answer the question directly and briefly."
# errors after which the session can say nothing more: the remaining turns are not attempted
_FATAL_ERROR_CODES = frozenset({"connection_lost", "session_closed", "session_failed"})


@dataclass
class TurnResult:
    session: int
    name: str
    language: str
    reference: str | None
    transcript: str
    reply: str
    status: str
    eos_to_first_audio_ms: float | None
    decision_to_first_audio_ms: float | None
    silence_wait_ms: float | None
    asr_ms: float | None
    llm_ttft_ms: float | None
    llm_tokens_per_s: float | None
    tts_rtf: float | None
    errors: int | None
    reference_units: int | None
    # "server": stage figures from response.timings; "client": only what this process could see
    timings_source: str = "client"
    first_phrase_cached: bool | None = None  # the reply's first audio came from the phrase cache
    started_early: bool | None = None  # the reply was started at the speaker's pause, before the decision
    # Silence inside the reply: audio that arrived after everything before it had been played out (the
    # next phrase was not ready in time). The listener hears the persona stall mid-reply.
    stall_ms: float | None = None


def _started_early(timings: TurnTimings) -> bool | None:
    if timings.reply_started_ms is None or timings.turn_decided_ms is None:
        return None
    return timings.reply_started_ms < timings.turn_decided_ms


def _gap(later: float | None, earlier: float | None) -> float | None:
    return round(later - earlier, 1) if later is not None and earlier is not None else None


@dataclass
class _TurnState:
    """What the event stream has said about the current turn so far."""

    heard_end: bool = False  # the server has seen this utterance end (speech_stopped / committed)
    ours: set[str] = field(default_factory=set)  # responses created for this turn, not a late earlier one
    in_flight: set[str] = field(default_factory=set)
    finished: list[ResponseInfo] = field(default_factory=list)
    first_audio_at_ms: float | None = None
    audio_ms: float = 0.0  # reply audio received, in playback time
    played_until_ms: float | None = None  # when the audio received so far will have been played out
    audio_response_id: str | None = None  # the response the last audio was of
    stall_ms: float = 0.0
    transcript: str = ""
    language: str = "auto"
    heard_nothing: bool = False
    # A turn ended and its response is not created yet. When a pause splits the utterance, the reply to
    # the first part is cancelled by the second; the turn is over only once the last part is answered.
    awaiting_answer: bool = False

    def heard_audio(self, at_ms: float, duration_ms: float, response_id: str) -> None:
        """Reply audio arrived at `at_ms`; played at once, or after the audio before it. The wait before
        another response's first audio (the speaker went on and was answered again) is no stall."""
        played_until = self.played_until_ms if self.played_until_ms is not None else at_ms
        same_reply, self.audio_response_id = self.audio_response_id == response_id, response_id
        if same_reply and at_ms > played_until + STALL_SLACK_MS:
            self.stall_ms += at_ms - played_until
        self.played_until_ms = max(played_until, at_ms) + duration_ms
        self.audio_ms += duration_ms

    def speaker_went_on(self) -> None:
        """A pause inside the utterance ended a turn and the speaker went on: what was said to the first part
        (cut off by the barge-in) is not the answer to the utterance. Measure the reply to all of it, or its
        first audio could come before the user has even finished speaking."""
        self.ours.clear()
        self.first_audio_at_ms = self.played_until_ms = self.audio_response_id = None
        self.audio_ms = self.stall_ms = 0.0

    def reply_over(self, now: float) -> bool:
        played_out = self.first_audio_at_ms is None or now >= self.first_audio_at_ms + self.audio_ms
        return bool(self.finished) and not self.in_flight and not self.awaiting_answer and played_out


class SpokenTurnDriver:
    """One session of an engine, fed like a microphone: speech, then silence until the reply is heard out."""

    def __init__(
        self,
        engine: Engine,
        index: int,
        silence_ms: int,
        max_sentences: int,
        *,
        same_clock: bool,
        voice: str | None = None,
    ) -> None:
        self._engine = engine
        self._index = index
        self._silence_ms = silence_ms
        # in process (or over loopback to this machine) the engine's timestamps share our clock
        self._same_clock = same_clock
        self._config = SessionConfig(
            instructions=BENCH_INSTRUCTIONS,
            voice=voice,  # None: the engine's default voice
            language="auto",
            max_sentences=max_sentences,
            turn_detection=TurnDetection(silence_duration_ms=silence_ms),
            input_audio_transcription=InputAudioTranscription(),
        )
        self._events: asyncio.Queue[tuple[float, ServerEvent] | None] = asyncio.Queue()
        self._ended = False
        self._clock = 0.0

    async def run(
        self, utterances: list[Utterance], before_turn: Callable[[int], Awaitable[None]] | None = None
    ) -> list[TurnResult]:
        """Every utterance as one turn; raises whatever the engine raises when the session can't open.
        `before_turn(index)` runs before each turn (e.g. to change what else loads the server)."""
        session = await self._engine.open_session(self._config)
        reader = asyncio.create_task(self._read(session))
        self._clock = time.monotonic()
        results: list[TurnResult] = []
        try:
            for utterance in utterances:
                if self._ended:
                    logger.warning("session %d ended: %d turn(s) not run", self._index, len(utterances) - len(results))
                    break
                language = utterance.language if utterance.language in ("en", "zh") else "auto"
                await session.send(SessionUpdate(session=SessionConfig(language=language)))
                if before_turn is not None:
                    await before_turn(len(results))
                    self._clock = time.monotonic()  # the "microphone" starts now, not when the hook began
                results.append(await self._turn(session, utterance))
        finally:
            await session.close()
            reader.cancel()
        return results

    async def _read(self, session: EngineSession) -> None:
        async for event in session.events():
            self._events.put_nowait((now_ms(), event))
        self._events.put_nowait(None)

    async def _send_chunk(self, session: EngineSession, chunk: np.ndarray) -> None:
        # An absolute schedule, so a slow iteration does not make the "microphone" drift behind real time.
        self._clock += CHUNK_MS / 1000
        delay = self._clock - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            self._clock = time.monotonic()
        await session.send(InputAudioBufferAppend(audio=encode_pcm16(chunk)))

    def _drain(self, state: _TurnState | None) -> None:
        while not self._events.empty():
            item = self._events.get_nowait()
            if item is None:
                self._ended = True
            elif state is not None:
                self._observe(state, *item)

    def _observe(self, state: _TurnState, at_ms: float, event: ServerEvent) -> None:
        kind = event.type
        if kind == "input_audio_buffer.speech_started":
            state.awaiting_answer = True  # more of the utterance is coming: its answer is still due
            if state.heard_end:
                state.speaker_went_on()
        elif kind in ("input_audio_buffer.speech_stopped", "input_audio_buffer.committed"):
            state.heard_end = True
            state.awaiting_answer = True
        elif kind == "response.created":
            state.awaiting_answer = False
            state.in_flight.add(event.response.id)
            if state.heard_end:
                state.ours.add(event.response.id)
        elif kind == "response.audio.delta" and event.response_id in state.ours:
            if state.first_audio_at_ms is None:
                state.first_audio_at_ms = at_ms
            samples = len(base64.b64decode(event.delta)) // 2  # pcm16 at the session's 24 kHz
            state.heard_audio(at_ms, samples * 1000 / SAMPLE_RATE, event.response_id)
        elif kind == "response.done":
            state.in_flight.discard(event.response.id)
            if event.response.id in state.ours:
                state.finished.append(event.response)
        elif kind == "conversation.item.input_audio_transcription.completed":
            # A pause inside the utterance can end a turn early; the ASR still heard every part.
            state.transcript = f"{state.transcript} {event.transcript}".strip()
            state.language = getattr(event, "language", None) or state.language
            state.heard_nothing = not state.transcript
            if not event.transcript:
                state.awaiting_answer = False  # nothing was heard in that part: no reply will come
        elif kind == "error":
            logger.warning("session %d: %s", self._index, event.error.message)
            if event.error.code in _FATAL_ERROR_CODES:
                self._ended = True

    async def _turn(self, session: EngineSession, utterance: Utterance) -> TurnResult:
        step = SAMPLE_RATE * CHUNK_MS // 1000
        lead = np.zeros(SAMPLE_RATE * LEAD_SILENCE_MS // 1000, dtype=np.float32)
        audio = np.concatenate([lead, trim_silence(utterance.audio)])
        silence = np.zeros(step, dtype=np.float32)
        self._drain(None)  # whatever is left of the previous turn is not this one's
        state = _TurnState(language=utterance.language)
        for begin in range(0, audio.size, step):
            await self._send_chunk(session, audio[begin : begin + step])
            self._drain(state)
        speech_end = now_ms()  # the last voiced sample has just been "spoken"
        deadline = time.monotonic() + TURN_TIMEOUT_S
        while not self._ended and time.monotonic() < deadline and not state.reply_over(now_ms()):
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
        return self._result(utterance, state, speech_end)

    def _result(self, utterance: Utterance, state: _TurnState, speech_end: float) -> TurnResult:
        completed = [r for r in state.finished if r.status == "completed"]
        done = (completed or state.finished or [None])[-1]
        reply = ""
        if done is not None and done.output and done.output[0].content:
            reply = done.output[0].content[0].transcript or ""
        eos_to_first_audio = _gap(state.first_audio_at_ms, speech_end)
        timings = done.timings if done is not None else None
        if timings is not None and timings.first_audio_ms is not None:
            # the engine's own clock: differences within it are exact; against ours only on one machine
            origin = speech_end if self._same_clock else timings.speech_end_ms
            decision_to_first_audio = _gap(timings.first_audio_ms, timings.turn_decided_ms)
            stages = {
                "silence_wait_ms": _gap(timings.turn_decided_ms, origin),
                "asr_ms": _gap(timings.asr_done_ms, timings.turn_decided_ms),
                # From the chat request: a reply started early asked before ASR was "done" for the turn.
                "llm_ttft_ms": _gap(timings.llm_first_token_ms, timings.reply_started_ms or timings.asr_done_ms),
                "llm_tokens_per_s": timings.llm_tokens_per_s,
                "tts_rtf": timings.tts_rtf,
                "first_phrase_cached": timings.first_phrase_cached,
                "started_early": _started_early(timings),
            }
            source = "server"
        else:
            # no stage stamps: the end-of-turn decision is taken to come after the configured silence
            decision_to_first_audio = (
                round(eos_to_first_audio - self._silence_ms, 1) if eos_to_first_audio is not None else None
            )
            stages = dict.fromkeys(
                (
                    "silence_wait_ms",
                    "asr_ms",
                    "llm_ttft_ms",
                    "llm_tokens_per_s",
                    "tts_rtf",
                    "first_phrase_cached",
                    "started_early",
                )  # fmt: skip
            )
            source = "client"
        errors = units = None
        if utterance.reference:
            errors, units = error_units(utterance.reference, state.transcript, utterance.language)
        return TurnResult(
            session=self._index,
            name=utterance.name,
            language=state.language or "auto",
            reference=utterance.reference,
            transcript=state.transcript,
            reply=reply,
            status=done.status if done is not None else ("session ended" if self._ended else "no reply"),
            eos_to_first_audio_ms=eos_to_first_audio,
            decision_to_first_audio_ms=decision_to_first_audio,
            stall_ms=round(state.stall_ms, 1) if state.first_audio_at_ms is not None else None,
            errors=errors,
            reference_units=units,
            timings_source=source,
            **stages,  # type: ignore[arg-type]
        )
