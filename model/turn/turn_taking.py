"""Who has the floor: voice activity + silence + (optionally) a semantic end-of-turn model.

Fed 16 kHz float32 audio in any chunk size, `TurnTaker.push` cuts it into the VAD's 32 ms frames and
returns what happened: speech started (at once, so a reply can be interrupted) and, later, the end of
the turn with the user's audio (including ~300 ms of padding before the first voiced frame).

The waits (silence, pause, the semantic check point) and when a turn may end before the silence wait are
model/turn/turn_timing.py.

The model is asked once per pause, on its own thread, as soon as the pause begins (~100 ms of silence,
when the early transcript is started too): beside Whisper, the chat model and a browser on 2 cores one
call (~95 ms of CPU) took 300-400 ms, so a question asked later would end the turn later still. A pause
of 96 ms or more inside a sentence thus costs a Smart Turn call (and an early transcript), whose answer
is dropped when the words go on.
"""

from __future__ import annotations

import functools
import logging
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from model.events import TurnDetection, now_ms
from model.turn.smart_turn import EndOfTurnModel
from model.turn.turn_timing import (
    AHEAD_SLACK_MS,
    MAX_TURN_SECONDS,
    PAUSE_MS,
    SAMPLE_RATE,
    SEMANTIC_ASK_MS,
    SEMANTIC_CONFIDENT,
    SEMANTIC_WINDOW,
    START_FRAMES,
    TAIL_SAMPLES,
    extended_wait_ms,
    semantic_check_ms,
)
from model.turn.turn_words import sounds_unfinished
from model.turn.vad import VoiceActivityDetector

logger = logging.getLogger(__name__)


@functools.cache
def end_of_turn_pool() -> ThreadPoolExecutor:
    """Threads for the end-of-turn model. Not the event loop: a Smart Turn call needs ~60 ms of CPU, and
    beside Whisper and a browser on 2 cores it took 140-230 ms, in which the loop sent no conversation any
    audio. Not the model pool either, whose threads may run at a lower priority (model.embedded.workers):
    this answer decides when a turn ends (live bench, model_nice 5: decided after ~580 ms of silence there,
    ~500 ms here)."""
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="end-of-turn")


@dataclass(frozen=True)
class SpeechStart:
    audio_start_ms: int  # position in the session's input stream


@dataclass(frozen=True)
class TurnEnd:
    audio_end_ms: int  # position in the input stream of the last voiced frame
    audio_16k: np.ndarray  # the user's turn, float32 16 kHz, with prefix padding
    speech_end_wall_ms: float  # epoch ms when the last voiced frame arrived
    decided_wall_ms: float  # epoch ms of the end-of-turn decision
    reason: str  # "silence", "semantic" or "max_length"


@dataclass(frozen=True)
class SpeechPaused:
    """The speaker paused: the turn may be over. Carries the turn so far, trimmed exactly as a `TurnEnd`
    would trim it, so its transcript can be started now and reused if the turn does end here."""

    audio_16k: np.ndarray


@dataclass(frozen=True)
class SpeechResumed:
    """Speech came back after a `SpeechPaused`: the turn goes on, an early transcript is stale."""


TurnEvent = SpeechStart | TurnEnd | SpeechPaused | SpeechResumed


class TurnTaker:
    """VAD + end-of-turn state machine for one input stream. Not thread-safe; one per session."""

    def __init__(
        self,
        vad: VoiceActivityDetector,
        end_of_turn: EndOfTurnModel | None,
        detection: TurnDetection,
        *,
        checks_words: bool = False,
    ) -> None:
        self._vad = vad
        self._end_of_turn = end_of_turn
        # Live audio's semantic decisions wait for the pause's transcript (`words_heard`), when its owner
        # transcribes pauses (the session's early ASR does).
        self._checks_words = checks_words
        self._frame = vad.frame_samples
        self._pending = np.zeros(0, dtype=np.float32)
        self._position = 0  # samples of 16 kHz audio consumed so far
        self.configure(detection)
        self._reset_turn()

    def configure(self, detection: TurnDetection) -> None:
        """Apply new turn-detection settings (they take effect from the next frame)."""
        self._threshold = detection.threshold
        self._release = max(0.05, detection.threshold - 0.15)  # hysteresis: no flapping at the edge
        self._prefix_frames = max(1, round(detection.prefix_padding_ms / (1000 * self._frame / SAMPLE_RATE)))
        self._silence_ms = detection.silence_duration_ms
        self._semantic_check_ms = semantic_check_ms(detection)
        self._detection = detection
        self._preroll: deque[np.ndarray] = deque(maxlen=self._prefix_frames + START_FRAMES)

    @property
    def in_speech(self) -> bool:
        return self._speaking

    def _reset_turn(self) -> None:
        self._speaking = False
        self._voiced_run = 0
        self._frames: list[np.ndarray] = []
        self._start_ms = 0
        self._last_voiced_end = 0  # sample position just after the last voiced frame
        self._last_voiced_wall = 0.0
        self._semantic_asked = False
        self._semantic: Future[float] | None = None  # the end-of-turn model's answer, being worked out
        self._semantic_since = (0, 0.0)  # stream position and monotonic time when it was asked
        self._pause_offered = False
        self._words: str | None = None  # the transcript of the current pause, once known
        self._wait_ms = float(self._silence_ms)

    def words_heard(self, text: str) -> None:
        """The transcript of the pause now in progress (the early transcript of the last `SpeechPaused`)."""
        if self._speaking and self._pause_offered:
            self._words = text
            if self._semantic_since[1]:
                logger.debug(
                    "the pause's words came %.0f ms after it began", (time.monotonic() - self._semantic_since[1]) * 1000
                )

    def clear(self) -> None:
        """Drop buffered audio and any turn in progress (`input_audio_buffer.clear`)."""
        self._pending = np.zeros(0, dtype=np.float32)
        self._preroll.clear()
        self._vad.reset()
        self._reset_turn()

    def commit(self) -> TurnEnd | None:
        """End the current turn now (`input_audio_buffer.commit`); None when nobody is speaking."""
        if not self._speaking:
            return None
        return self._finish("commit", now_ms())

    def push(self, samples_16k: np.ndarray) -> list[TurnEvent]:
        arrived = now_ms()
        self._pending = np.concatenate([self._pending, np.asarray(samples_16k, dtype=np.float32).reshape(-1)])
        events: list[TurnEvent] = []
        while self._pending.size >= self._frame:
            frame, self._pending = self._pending[: self._frame], self._pending[self._frame :]
            event = self._step(frame, arrived)
            if event is not None:
                events.append(event)
        return events

    def _ms(self, samples: int) -> int:
        return int(samples * 1000 / SAMPLE_RATE)

    def _step(self, frame: np.ndarray, arrived: float) -> TurnEvent | None:
        probability = self._vad.speech_probability(frame)
        self._position += frame.size
        if not self._speaking:
            self._preroll.append(frame)
            self._voiced_run = self._voiced_run + 1 if probability >= self._threshold else 0
            if self._voiced_run < START_FRAMES:
                return None
            self._speaking = True
            self._frames = list(self._preroll)
            voiced_samples = START_FRAMES * self._frame
            self._start_ms = self._ms(self._position - voiced_samples)
            self._last_voiced_end = self._position
            self._last_voiced_wall = arrived
            return SpeechStart(audio_start_ms=self._start_ms)

        self._frames.append(frame)
        if probability >= self._release:
            self._last_voiced_end = self._position
            self._last_voiced_wall = arrived
            self._semantic_asked, self._semantic = False, None  # an answer about the last pause no longer applies
            self._words = None
            self._wait_ms = float(self._silence_ms)
            if self._ms(len(self._frames) * self._frame) >= MAX_TURN_SECONDS * 1000:
                return self._finish("max_length", arrived)
            if self._pause_offered:
                self._pause_offered = False
                return SpeechResumed()
            return None

        silence_ms = self._ms(self._position - self._last_voiced_end)
        if self._end_of_turn is not None and not self._semantic_asked and silence_ms >= SEMANTIC_ASK_MS:
            self._semantic_asked = True
            self._semantic = self._ask_semantic()
            self._semantic_since = (self._position, time.monotonic())
        if self._semantic is not None and silence_ms >= self._semantic_check_ms:
            ahead = self._ahead_of_clock()
            # Audio faster than real time (a file) is judged by the model alone: its words come too late.
            words_known = ahead or not self._checks_words or self._words is not None
            if (self._semantic.done() or ahead) and words_known and self._semantic_says_done(ahead):
                return self._finish("semantic", arrived)
        if silence_ms >= self._wait_ms:
            return self._finish("silence", arrived)
        if not self._pause_offered and silence_ms >= PAUSE_MS:
            self._pause_offered = True
            return SpeechPaused(audio_16k=self._turn_audio())
        return None

    def _ahead_of_clock(self) -> bool:
        """Is the audio coming faster than real time (a file, a test)? Then the semantic answer is waited
        for here, so the turn is judged near the same point of the audio whatever the machine's speed. Live
        audio comes a frame at a time: its answer is read once ready, while the event loop goes on sending
        every conversation's audio. Live frames may bunch up on the network, hence the slack."""
        if self._pending.size >= self._frame:  # more frames came in this one push
            return True
        position, wall = self._semantic_since
        return self._ms(self._position - position) > (time.monotonic() - wall) * 1000 + AHEAD_SLACK_MS

    def _ask_semantic(self) -> Future[float]:
        """Start the semantic model on the turn so far, on its own thread: it takes 25-200 ms, during which
        the event loop it was called from would otherwise send no audio to anyone."""
        audio = np.concatenate(self._frames)[-SEMANTIC_WINDOW:]
        asked = time.monotonic()
        answer = end_of_turn_pool().submit(self._end_of_turn.probability_complete, audio)  # type: ignore[union-attr]
        answer.add_done_callback(
            lambda _: logger.debug("end-of-turn model answered in %.0f ms", (time.monotonic() - asked) * 1000)
        )
        return answer

    def _semantic_says_done(self, ahead: bool) -> bool:
        """True when the semantic model is confident the turn is over and the pause's words (for live
        audio) do not stop mid-sentence; may lengthen the wait otherwise."""
        answer, self._semantic = self._semantic, None
        try:
            complete = answer.result()  # type: ignore[union-attr]
        except Exception:  # a broken optional model must not stop the conversation: fall back to silence
            logger.exception("end-of-turn model failed; using the silence wait alone")
            self._end_of_turn = None
            return False
        logger.debug(
            "end-of-turn model: %.2f that the turn is complete (asked %.0f ms before)",
            complete,
            (time.monotonic() - self._semantic_since[1]) * 1000,
        )
        unfinished_words = not ahead and self._words is not None and sounds_unfinished(self._words)
        if unfinished_words:
            logger.debug("the words stop mid-sentence (%r): waiting for the silence", self._words[-40:])
        if complete >= SEMANTIC_CONFIDENT and not unfinished_words:
            return True
        self._wait_ms = extended_wait_ms(self._detection)
        return False

    def _turn_audio(self) -> np.ndarray:
        """The turn's audio up to the last voiced frame plus 100 ms of its trailing silence: Whisper clips
        the last word when audio stops dead, and more silence only costs time. The same for a pause and
        for the end of the turn, so an early transcript stays valid (a pause offered before 100 ms of
        silence is padded with zeros to the same length)."""
        if not self._frames:
            return np.zeros(0, dtype=np.float32)
        tail = min(len(self._frames) * self._frame, self._position - self._last_voiced_end)
        keep = len(self._frames) * self._frame - max(0, tail - TAIL_SAMPLES)
        audio = np.concatenate(self._frames)[:keep]
        return np.pad(audio, (0, max(0, TAIL_SAMPLES - tail)))

    def _finish(self, reason: str, decided: float) -> TurnEnd:
        end = TurnEnd(
            audio_end_ms=self._ms(self._last_voiced_end),
            audio_16k=self._turn_audio(),
            speech_end_wall_ms=self._last_voiced_wall,
            decided_wall_ms=decided,
            reason=reason,
        )
        self._preroll.clear()
        self._reset_turn()
        return end
