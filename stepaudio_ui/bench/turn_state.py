"""What one spoken bench turn measured, and the event-stream state it is read from.

`TurnState` follows one turn's events as the client receives them (see `engine_turns`): which responses
answer this utterance, when their first audio came, how much audio has arrived and whether it ever fell
behind playback (a stall), the transcript; `TurnResult` is what is reported per turn.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from model.events import ResponseInfo, TurnTimings
from stepaudio_ui.bench.utterances import Utterance, error_units

STALL_SLACK_MS = 20  # one audio frame late is scheduling jitter, not a stall


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
    first_phrase: str | None = None  # the text of the reply's first audio (its first transcript delta)


def _started_early(timings: TurnTimings) -> bool | None:
    if timings.reply_started_ms is None or timings.turn_decided_ms is None:
        return None
    return timings.reply_started_ms < timings.turn_decided_ms


def _gap(later: float | None, earlier: float | None) -> float | None:
    return round(later - earlier, 1) if later is not None and earlier is not None else None


@dataclass
class TurnState:
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
    first_phrase: str | None = None
    audio: list[bytes] = field(default_factory=list)  # the reply's pcm16, as received
    speaking: bool = False  # between the server's speech_started and speech_stopped
    ends: int = 0  # speech_stopped events: more than one when a pause inside the utterance ended a turn
    transcripts: int = 0  # input transcriptions completed (one per end)

    def reply_audio(self) -> np.ndarray:
        """The reply as the client heard it: float32 at the session's output rate."""
        joined = b"".join(self.audio)
        return np.frombuffer(joined, dtype="<i2").astype(np.float32) / 32768.0

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
        self.first_audio_at_ms = self.played_until_ms = self.audio_response_id = self.first_phrase = None
        self.audio_ms = self.stall_ms = 0.0
        self.audio.clear()

    def reply_over(self, now: float) -> bool:
        played_out = self.first_audio_at_ms is None or now >= self.first_audio_at_ms + self.audio_ms
        return bool(self.finished) and not self.in_flight and not self.awaiting_answer and played_out


_STAGES = ("silence_wait_ms", "asr_ms", "llm_ttft_ms", "llm_tokens_per_s", "tts_rtf", "first_phrase_cached")


def turn_result(
    state: TurnState,
    utterance: Utterance,
    speech_end: float,
    *,
    session: int,
    same_clock: bool,
    silence_ms: int,
    ended: bool,
) -> TurnResult:
    """What `state` says about the turn on `utterance` whose speech ended at `speech_end` (client clock)."""
    completed = [r for r in state.finished if r.status == "completed"]
    done = (completed or state.finished or [None])[-1]
    reply = ""
    if done is not None and done.output and done.output[0].content:
        reply = done.output[0].content[0].transcript or ""
    eos_to_first_audio = _gap(state.first_audio_at_ms, speech_end)
    timings = done.timings if done is not None else None
    if timings is not None and timings.first_audio_ms is not None:
        # the engine's own clock: differences within it are exact; against ours only on one machine
        origin = speech_end if same_clock else timings.speech_end_ms
        decision_to_first_audio = _gap(timings.first_audio_ms, timings.turn_decided_ms)
        stages: dict[str, object] = {
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
        decision_to_first_audio = round(eos_to_first_audio - silence_ms, 1) if eos_to_first_audio is not None else None
        stages = dict.fromkeys((*_STAGES, "started_early"))
        source = "client"
    errors = units = None
    if utterance.reference:
        errors, units = error_units(utterance.reference, state.transcript, utterance.language)
    return TurnResult(
        session=session,
        name=utterance.name,
        language=state.language or "auto",
        reference=utterance.reference,
        transcript=state.transcript,
        reply=reply,
        status=done.status if done is not None else ("session ended" if ended else "no reply"),
        eos_to_first_audio_ms=eos_to_first_audio,
        decision_to_first_audio_ms=decision_to_first_audio,
        stall_ms=round(state.stall_ms, 1) if state.first_audio_at_ms is not None else None,
        errors=errors,
        reference_units=units,
        timings_source=source,
        first_phrase=state.first_phrase,
        **stages,  # type: ignore[arg-type]
    )
