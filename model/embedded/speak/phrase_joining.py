"""How much of a written reply one synthesis call takes: queued phrases joined while there is time.

A reply's later phrases come from the splitter as short pieces (`phrases.LATER_PHRASE`). Each piece alone
never leaves the listener waiting long, but it is spoken with its own start and end, and every call has a
fixed cost. So when the voice is free and more pieces are queued, they are joined into one call as long as
the joined phrase can be made before the audio already queued ahead of it has played out, by this reply's
own measure of how fast the voice works on this machine. When the audio ahead leaves more time than that,
the voice even waits a little for the rest of an unfinished sentence. A fast voice, or a reply well ahead,
gets long natural phrases; a slow voice on a busy machine gets short ones and no silence.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from model.embedded.speak.phrase_text import ends_sentence, join_phrases
from model.embedded.speak.phrases import detect_language, speech_units, word_counts

# Until this reply has measured its voice: ~160 words a minute at speed 1 (Kokoro and Piper both speak
# about so), a Chinese character ~0.6 of a word (`speech_units`).
SPEECH_S_PER_WORD = 0.37
# Until measured, assume the voice makes speech no faster than it is spoken: joins only with audio ahead.
DEFAULT_SPEECH_PER_SYNTH_S = 1.0
# Only part of the time ahead is planned on: the chat model writes beside the voice and slows it, and a
# phrase's cost is not quite proportional to its length.
JOIN_MARGIN = 0.7
MAX_JOINED_WORDS = 40  # Kokoro reads at most 510 phonemes in one call (~60 English words)
MAX_JOINED_CJK = 80
# Waiting for more of a sentence is planned for a next piece of about this many words.
NEXT_PIECE_WORDS = 6
WAIT_POLL_S = 0.02


@dataclass
class SpeechBudget:
    """One reply's record of the audio it has made, and the joining decisions made from it."""

    speed: float = 1.0  # the reply's speaking speed (persona x scene): faster speech is shorter
    made_s: float = 0.0  # seconds of audio made for this reply so far
    _model_audio_s: float = 0.0  # of which the voice model made (not the phrase cache) ...
    _model_s: float = 0.0  # ... in this many seconds
    _units: float = 0.0  # speech units of all phrases made

    def record(self, phrase: str, audio_s: float, elapsed_s: float, *, cached: bool) -> None:
        """A phrase's audio is made: `audio_s` seconds of it, in `elapsed_s` (0 when it came from the cache)."""
        self.made_s += audio_s
        self._units += speech_units(phrase)
        if not cached and elapsed_s > 0:
            self._model_audio_s += audio_s
            self._model_s += elapsed_s

    def speech_s(self, text: str) -> float:
        """How long `text` will take to say: measured on this reply's phrases once there are some."""
        return self._speech_s_of(speech_units(text))

    def making_s(self, text: str) -> float:
        """How long the voice will take to make `text`, at the rate it worked so far in this reply."""
        return self._making_s_of(speech_units(text))

    def _speech_s_of(self, units: float) -> float:
        per_unit = self.made_s / self._units if self._units > 0 else SPEECH_S_PER_WORD / max(self.speed, 0.1)
        return units * per_unit

    def _making_s_of(self, units: float) -> float:
        rate = self._model_audio_s / self._model_s if self._model_s > 0 else DEFAULT_SPEECH_PER_SYNTH_S
        return self._speech_s_of(units) / rate

    def wait_for_more_s(self, phrase: str, played_s: float) -> float:
        """How long the voice may wait for the rest of `phrase`'s sentence before it must start making it:
        0 for a finished sentence, or when the audio ahead leaves no time for a longer phrase."""
        if ends_sentence(phrase):
            return 0.0
        longer_s = self._making_s_of(speech_units(phrase) + NEXT_PIECE_WORDS)
        return max(0.0, JOIN_MARGIN * (self.made_s - played_s) - longer_s)

    def join(self, phrase: str, queued: deque[str | None], played_s: float) -> str:
        """`phrase`, with as many of the `queued` phrases after it (taken off the queue) as can be made
        before the audio ahead (made but not yet played by `played_s`) runs out. Only phrases of one
        language are joined: the voice reads each call in one language."""
        allowed_s = JOIN_MARGIN * (self.made_s - played_s)
        language = detect_language(phrase)
        while queued and (following := queued[0]) is not None and detect_language(following) == language:
            joined = join_phrases([phrase, following])
            words, characters = word_counts(joined)
            if words > MAX_JOINED_WORDS or characters > MAX_JOINED_CJK or self.making_s(joined) > allowed_s:
                break
            phrase = joined
            queued.popleft()
        return phrase


async def next_phrase(
    phrases: asyncio.Queue[str | None], queued: deque[str | None], budget: SpeechBudget, played_s: Callable[[], float]
) -> str | None:
    """The next phrase to synthesise, joined with the phrases after it while the audio ahead allows (see
    the module doc); None once the reply is over. `queued` keeps what was taken off `phrases` but not used."""
    phrase = queued.popleft() if queued else await phrases.get()
    if phrase is None:
        return None
    clock = asyncio.get_running_loop()
    while True:
        while not phrases.empty():
            queued.append(phrases.get_nowait())
        phrase = budget.join(phrase, queued, played_s())
        if queued:
            return phrase  # the next piece does not fit (or the reply ends there)
        deadline = clock.time() + budget.wait_for_more_s(phrase, played_s())
        while phrases.empty() and clock.time() < deadline:
            await asyncio.sleep(WAIT_POLL_S)  # polled: a cancelled wait on the queue could lose a phrase
        if phrases.empty():
            return phrase
