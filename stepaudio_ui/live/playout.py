"""What of a reply the browser has played, and the reply's words as they are heard.

An embedded session is opened unpaced for the Live bridge (`EmbeddedEngine.open_session(paced=False)`): it
sends each phrase's transcript, then its audio, as soon as they are made, ahead of playout, and the bridge's
`ReplyAudio` + `RealTimePacer` are the only chunker and pacer. So a phrase's words are released (to the
Live transcript and the saved reply) when its first frame plays, and after a barge-in the session is told
how much of the reply was played (`conversation.item.truncate`): its history keeps what was heard. A session
that paces its own audio (the remote engines) has its words released as they come and is told nothing.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from model.events import ConversationItemTruncate, TurnTimings
from stepaudio_ui.live.pacing import OUTPUT_RATE, ReplyAudio


@dataclass(frozen=True)
class FinishedReply:
    response_id: str
    timings: TurnTimings | None


@dataclass
class OpenReply:
    """The reply the bridge has open: being generated, or generated in full and maybe still playing."""

    generating: str | None = None  # the id of the reply being generated
    played: FinishedReply | None = None  # generated in full, maybe still playing
    text: str = ""  # its words heard so far: what is shown and saved
    interrupted: bool = False

    @property
    def response_id(self) -> str | None:
        return self.generating or (self.played.response_id if self.played else None)

    def hear(self, response_id: str | None, words: str) -> bool:
        """`words` of reply `response_id` reached the listener: kept when they are this reply's."""
        if not words or response_id is None or response_id != self.response_id:
            return False
        self.text += words
        return True


@dataclass(frozen=True)
class _Words:
    at: int  # stream position (`ReplyAudio.pushed`) of the first sample of their audio
    response_id: str
    text: str


@dataclass(frozen=True)
class _ReplyStart:
    response_id: str
    item_id: str
    at: int  # stream position of the reply's first sample


class ReplyPlayout:
    """The reply audio queue, with each phrase's words waiting for its first frame to play (client-paced)."""

    def __init__(self, audio: ReplyAudio) -> None:
        self.audio = audio
        self.client_paced = False  # the session sends audio ahead of playout and takes truncates
        self._unvoiced: dict[str, str] = {}  # response id -> words whose audio has not come yet
        self._words: deque[_Words] = deque()  # words waiting for their first frame to be played
        self._newest: _ReplyStart | None = None  # the newest reply that sent audio

    def words(self, response_id: str, delta: str) -> str:
        """A reply's transcript came: the words to show now ('' while they wait for their audio to play)."""
        if not self.client_paced:
            return delta
        self._unvoiced[response_id] = self._unvoiced.get(response_id, "") + delta
        return ""

    def push(self, response_id: str, item_id: str, samples: np.ndarray) -> None:
        if self._newest is None or self._newest.response_id != response_id:
            self._newest = _ReplyStart(response_id, item_id, self.audio.pushed)
        text = self._unvoiced.pop(response_id, "")
        if text:
            self._words.append(_Words(self.audio.pushed, response_id, text))
        self.audio.push(samples)

    def pop(self) -> tuple[np.ndarray | None, list[tuple[str, str]]]:
        """The next frame (None: nothing queued) and the (response id, words) whose audio it starts."""
        frame = self.audio.pop()
        heard = []
        while self._words and self._words[0].at < self.audio.played:
            words = self._words.popleft()
            heard.append((words.response_id, words.text))
        return frame, heard

    def unplayed_words(self, response_id: str) -> str:
        """Take the words of `response_id` not played yet (the reply is closed while its audio plays on)."""
        mine = [words.text for words in self._words if words.response_id == response_id]
        self._words = deque(words for words in self._words if words.response_id != response_id)
        return "".join(mine) + self._unvoiced.pop(response_id, "")

    def truncation(self, response_id: str | None) -> ConversationItemTruncate | None:
        """For a client-paced session: how much of reply `response_id` was played (call before `clear`)."""
        if not self.client_paced or self._newest is None or self._newest.response_id != response_id:
            return None
        played_ms = max(0, self.audio.played - self._newest.at) * 1000 // OUTPUT_RATE
        return ConversationItemTruncate(item_id=self._newest.item_id, audio_end_ms=played_ms)

    def clear(self) -> int:
        """Barge-in: the queued audio and the words not heard yet are dropped. Returns the frames dropped."""
        self._words.clear()
        self._unvoiced.clear()
        return self.audio.clear()
