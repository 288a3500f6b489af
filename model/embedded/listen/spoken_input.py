"""The user's side of a session's audio: client pcm16 in, speech starts and finished turns out.

    pcm16 at the client's rate -> streaming resampler to 16 kHz -> TurnTaker (VAD, end of turn)
                                                                     | pause: early transcription starts
                                                                     |   (its words gate an early end of turn)
                                                                     | resumed: that transcript is dropped

The session only hears about what it must react to: a `SpeechStart` (barge-in) and a `TurnEnd` (answer it,
with the early transcript taken from `take_early`), and through `on_early` of each early transcript as it
becomes ready or stale (it may start the reply at the pause).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import soxr

from model.audio import int16_to_float
from model.embedded.listen.asr import Transcript
from model.embedded.listen.early_asr import EarlyListener, EarlyTranscriber, Pending
from model.events import TurnDetection
from model.turn.turn_taking import SpeechPaused, SpeechResumed, SpeechStart, TurnEnd, TurnTaker

if TYPE_CHECKING:  # handed in by the session: the stage needs only its type, not the engine level
    from model.embedded.shared import SharedModels

VAD_RATE = 16_000

EarlyTranscript = Pending | None


class SpokenInput:
    """One per session; called from the session's event loop only."""

    def __init__(
        self,
        shared: SharedModels,
        detection: TurnDetection,
        input_rate: int,
        language: str,
        on_early: EarlyListener | None = None,
    ) -> None:
        self._turns = TurnTaker(
            shared.models.vad_model.new_stream(), shared.models.turn_model, detection, checks_words=True
        )
        self._on_early = on_early
        self._early = EarlyTranscriber(shared.transcribe, self._early_ready)
        self._rate = input_rate
        self._resampler = _resampler_from(input_rate)
        self.language = language  # what ASR is asked for: "en", "zh" or "auto"

    def configure(self, detection: TurnDetection, input_rate: int, language: str) -> None:
        """A session.update: new turn detection settings, input rate or language, from the next audio on."""
        self._turns.configure(detection)
        if input_rate != self._rate:
            self._rate = input_rate
            self._resampler = _resampler_from(input_rate)
        self.language = language

    def push(self, samples: np.ndarray) -> list[SpeechStart | TurnEnd]:
        """Feed int16 samples at the input rate; the speech starts and turn ends they completed, in order."""
        audio = int16_to_float(samples)
        if self._resampler is not None:
            audio = self._resampler.resample_chunk(audio)
        decisions: list[SpeechStart | TurnEnd] = []
        for event in self._turns.push(np.asarray(audio, dtype=np.float32)):
            if isinstance(event, SpeechPaused):
                self._early.paused(event.audio_16k, self.language)
            elif isinstance(event, SpeechResumed):
                self._early.resumed()
            else:
                decisions.append(event)
        return decisions

    def _early_ready(self, pending: Pending | None) -> None:
        """A pause's transcript is ready (or dropped: None): the turn taker checks its words before a
        semantic decision, and the session may start the reply on it."""
        if pending is not None:
            self._turns.words_heard(pending[1].result().text)
        if self._on_early is not None:
            self._on_early(pending)

    def commit(self) -> TurnEnd | None:
        """End the turn now (`input_audio_buffer.commit`); None when no speech is buffered."""
        return self._turns.commit()

    def clear(self) -> None:
        """Drop the buffered speech (`input_audio_buffer.clear`)."""
        self._turns.clear()
        self._early.resumed()

    def take_early(self) -> EarlyTranscript:
        """The transcript started at the last pause, for the turn that just ended."""
        return self._early.take()

    async def transcript(self, early: EarlyTranscript, audio_16k: np.ndarray) -> Transcript:
        """The turn's words: the early transcript when it is usable, else a fresh one."""
        return await self._early.transcript(early, audio_16k, self.language)


def _resampler_from(rate: int) -> soxr.ResampleStream | None:
    if rate == VAD_RATE:
        return None
    # A streaming resampler: resampling 20 ms chunks one by one would click at every chunk edge.
    return soxr.ResampleStream(rate, VAD_RATE, 1, dtype="float32", quality="HQ")
