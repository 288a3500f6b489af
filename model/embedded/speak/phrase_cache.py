"""Speech already made for phrases that come back, so they sound at once instead of after Kokoro.

On 2 CPU cores Kokoro needs ~150 ms plus ~0.34 s per second of speech, alone: "Sure!" costs ~370 ms,
a two-sentence greeting ~1.5 s, and a reply's first phrase sits on the critical path between the end of
the user's turn and the first sound. Kokoro gives the same audio for the same phrase, voice and speed,
and some phrases come back again and again: a persona's greeting opens every conversation with it, and
replies often open with the same few words ("Sure!", "Hello there!"). So short phrases, and greetings
of any length, are kept once made; `OPENERS` are made ahead of time while a session is quiet.

One LRU per engine (so per process in the app), bounded by the bytes of audio it holds.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import NamedTuple

import numpy as np

from model.embedded.speak.phrases import word_counts

MAX_WORDS = 4
MAX_CJK = 6

# What replies most often open with, spoken as a phrase of their own (sentence punctuation ends them).
OPENERS: dict[str, tuple[str, ...]] = {
    "en": (
        "Sure!",
        "Of course!",
        "Hello!",
        "Hi there!",
        "Absolutely!",
        "Great question!",
        "Certainly!",
        "Thank you!",
        "Oh,",
        "Well,",
        "Yes,",
        "Sure,",
        "Hmm,",
        "Okay,",
    ),
    "zh": ("好的！", "当然！", "你好！", "没问题！", "嗯，"),
}


class PhraseKey(NamedTuple):
    text: str
    voice: str
    speed: float
    language: str


def is_short_phrase(text: str) -> bool:
    """True for the phrases the cache keeps: a few words (or characters), nothing long."""
    words, characters = word_counts(text)
    return 0 < words + characters and words <= MAX_WORDS and characters <= MAX_CJK


DEFAULT_MAX_BYTES = 32 * 1024 * 1024  # ~350 s of speech: every greeting and opener of a busy studio


class PhraseAudioCache:
    """Thread-safe LRU of synthesised audio (float32, the TTS rate) keyed by phrase, voice, speed, language."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._bytes = 0
        self._entries: OrderedDict[PhraseKey, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(text: str, *, voice: str, speed: float, language: str) -> PhraseKey:
        return PhraseKey(text.strip(), voice, round(speed, 3), language)

    def get(self, key: PhraseKey) -> np.ndarray | None:
        with self._lock:
            audio = self._entries.get(key)
            if audio is not None:
                self._entries.move_to_end(key)
            return audio

    def __contains__(self, key: PhraseKey) -> bool:
        with self._lock:
            return key in self._entries

    def put(self, key: PhraseKey, audio: np.ndarray, *, recurring: bool = False) -> None:
        """Keep `audio` for a short phrase, or for any phrase the caller knows comes back (`recurring`:
        a greeting). Other long phrases are not kept: a reply's sentences rarely come back word for word."""
        if audio.size == 0 or not (recurring or is_short_phrase(key.text)):
            return
        stored = np.array(audio, dtype=np.float32, copy=True)
        stored.setflags(write=False)  # shared between sessions: nobody may change it in place
        if stored.nbytes > self.max_bytes:
            return
        with self._lock:
            replaced = self._entries.pop(key, None)
            if replaced is not None:
                self._bytes -= replaced.nbytes
            self._entries[key] = stored
            self._bytes += stored.nbytes
            while self._bytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= evicted.nbytes

    @property
    def size_bytes(self) -> int:
        with self._lock:
            return self._bytes

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
