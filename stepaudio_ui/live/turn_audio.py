"""Each turn's stretch of a conversation's recording: which side's WAV, and from when to when.

The live handler records each side as one continuous WAV (`live_session.ConversationRecorder`). A turn
keeps a reference into it in its `audio_path`: a W3C media fragment such as `persona.wav#t=12.340,15.020`
(seconds), so History can play each turn without a second copy of the audio. The positions come from
the samples actually written, not from wall-clock timings: the user's from the engine's speech start
and stop positions (milliseconds into the audio the session was sent, which is exactly what user.wav
holds), the persona's from the first and last reply frame played (silence between replies is written
too, so persona.wav runs in step with the call).
"""

from __future__ import annotations

import logging
import re
import wave
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from model.events import SpeechStarted, SpeechStopped

logger = logging.getLogger(__name__)

USER_WAV = "user.wav"
PERSONA_WAV = "persona.wav"
WavName = Literal["user.wav", "persona.wav"]
# Voice activity detection marks speech a little after it starts and before it fades: keep a margin.
USER_LEAD_S = 0.15
USER_TAIL_S = 0.25
MAX_CLIP_S = 180.0  # the most one playback reads (a turn longer than this is cut)
OPEN_SPEECH_LIMIT = 8  # speech heard but never transcribed (noise) is forgotten after this many more
_FRAGMENT = re.compile(r"^(user\.wav|persona\.wav)#t=(\d+(?:\.\d+)?),(\d+(?:\.\d+)?)$")


@dataclass(frozen=True)
class TurnClip:
    """Where one turn lies in its side's WAV."""

    file: WavName
    start_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    def ref(self) -> str:
        return f"{self.file}#t={self.start_s:.3f},{self.end_s:.3f}"

    @classmethod
    def parse(cls, ref: str | None) -> TurnClip | None:
        """The clip a turn's `audio_path` names; None for a turn without one (typed, or recorded earlier)."""
        match = _FRAGMENT.match(ref or "")
        if match is None:
            return None
        start, end = float(match.group(2)), float(match.group(3))
        return cls(match.group(1), start, end) if end > start else None  # type: ignore[arg-type]


@dataclass
class _Speech:
    item_ids: set[str]
    start_ms: int
    end_ms: int | None = None


@dataclass
class TurnMarks:
    """Counts the samples written to each WAV and marks where each turn starts and ends in them."""

    user_rate: int
    persona_rate: int
    user_samples: int = 0
    persona_samples: int = 0
    _speech: deque[_Speech] = field(default_factory=lambda: deque(maxlen=OPEN_SPEECH_LIMIT))
    _reply_start: int | None = None
    _reply_end: int = 0

    def wrote_user(self, count: int) -> None:
        self.user_samples += count

    def wrote_persona(self, count: int, *, replying: bool) -> None:
        """`replying`: these samples are reply audio (not the silence between replies)."""
        if replying and self._reply_start is None:
            self._reply_start = self.persona_samples
        self.persona_samples += count
        if replying:
            self._reply_end = self.persona_samples

    def observe(self, event: Any) -> None:
        """Speech start/stop events of the engine session (positions in the audio it was sent)."""
        if isinstance(event, SpeechStarted):
            self._speech.append(_Speech({event.item_id}, event.audio_start_ms))
        elif isinstance(event, SpeechStopped):
            # Matched by item id; an engine that names the stop differently closes the newest open speech.
            speech = self._find(event.item_id) or next((s for s in reversed(self._speech) if s.end_ms is None), None)
            if speech is not None:
                speech.item_ids.add(event.item_id)
                speech.end_ms = event.audio_end_ms

    def user_clip(self, item_id: str) -> str | None:
        """The reference for the user turn `item_id` (its transcript has arrived), or None."""
        speech = self._find(item_id) or next((s for s in self._speech if s.end_ms is not None), None)
        if speech is None:
            return None
        while self._speech and self._speech[0] is not speech:  # older speech was never a turn
            self._speech.popleft()
        self._speech.popleft()
        written_s = self.user_samples / self.user_rate
        end_ms = speech.end_ms if speech.end_ms is not None else written_s * 1000
        start_s = max(0.0, speech.start_ms / 1000 - USER_LEAD_S)
        end_s = min(written_s, end_ms / 1000 + USER_TAIL_S)
        return TurnClip(USER_WAV, start_s, end_s).ref() if end_s > start_s else None

    def reply_clip(self) -> str | None:
        """The reference for the reply that just ended (played in full or cut off), or None if none of it played."""
        if self._reply_start is None:
            return None
        start, self._reply_start = self._reply_start, None
        clip = TurnClip(PERSONA_WAV, start / self.persona_rate, self._reply_end / self.persona_rate)
        return clip.ref() if clip.duration_s > 0 else None

    def _find(self, item_id: str) -> _Speech | None:
        return next((s for s in self._speech if item_id in s.item_ids), None)


def read_clip(folder: Path, clip: TurnClip) -> tuple[int, np.ndarray] | None:
    """(sample rate, int16 samples) of `clip` from the WAV in `folder`, at most MAX_CLIP_S long; None when
    the file is missing or holds nothing there. Works while the conversation is still being recorded."""
    path = folder / clip.file
    if not path.is_file():
        return None
    try:
        with wave.open(str(path), "rb") as wav:
            rate, total = wav.getframerate(), wav.getnframes()
            start = min(total, int(clip.start_s * rate))
            end = min(total, int(clip.end_s * rate), start + int(MAX_CLIP_S * rate))
            wav.setpos(start)
            samples = np.frombuffer(wav.readframes(end - start), dtype="<i2")
    except (wave.Error, EOFError, OSError) as error:
        logger.warning("could not read %s from %s: %s", clip.ref(), folder, error)
        return None
    return (rate, samples) if len(samples) else None
