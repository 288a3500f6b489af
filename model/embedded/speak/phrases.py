"""Cut streamed LLM text into speakable phrases as soon as each is complete.

Phrases end at sentence punctuation. The FIRST phrase is a short chunk of a few words (to a comma or dash
after 2 words, before a clause word, or after 3 words), so the first audio of a reply starts sooner, and
the second is kept short so it is ready when the first has played. Later phrases of a written reply are cut the same way into short pieces
(`LATER_PHRASE`): how many of them one synthesis call may join depends on how fast the voice is and how
much audio is queued ahead, which only the speaking side knows (`phrase_joining`). Text whose audio is
cached (a greeting) is cut in a fixed way instead, each later phrase about as long as everything before it
(`later_phrase_limit`). The same text is cut the same way whether it arrives token by token from the chat
model or whole. Markdown, emoji and asterisks are
removed: they are for eyes, not ears.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from model.embedded.speak.chinese_words import chinese_word_cut
from model.text_language import CJK_CHARACTER, CJK_RANGES, script_counts
from model.text_language import detect_language as text_language

# ASCII . ! ? end a sentence only when followed by whitespace (so "3.5" and "e.g" stay whole);
# full-width CJK punctuation and newlines always do. Closing quotes/brackets stay with their sentence.
_SENTENCE_END = re.compile(r"(?:[.!?…]+[\"'”’)\]]*(?=\s)|[。！？]+[”’」』）]*|\n+)")
_CLAUSE_END = re.compile(r"(?:[,;:](?=\s)|[，、；：]|\s[-–—](?=\s)|(?<=\w)—(?=\w))")
_TRAILING_DASH = re.compile(r"\s*[-–—]+$")
_ABBREVIATIONS = frozenset({"mr", "mrs", "ms", "dr", "prof", "st", "vs", "etc", "e.g", "i.e", "jr", "sr", "no"})
CJK_CHARACTER_IN_WORDS = 0.6  # ~4.5 Chinese characters a second against ~2.7 English words
FIRST_PHRASE_MIN_WORDS = 2  # "I'm Alex," is ~0.6 s of audio: spoken ~0.5 s sooner than the whole sentence
FIRST_PHRASE_MIN_CJK = 4
# The first audio of a reply is made from a short first chunk, cut while the reply is still being written:
# at a comma after 2 words, before a word that opens a clause ("Paris | is", "... | because"), or after 3
# words. Kokoro's time grows with the text (~150 ms plus ~0.4 s per second of speech on 2 cores), so 3
# words (~1 s of speech) cost about half of what the 5-9 word opening phrase cost before, and the rest of
# the sentence is made while the chunk plays. Whisper hears the joined reply as well as one made whole
# (`bench engine` prints both: `first_chunk_*`).
FIRST_PHRASE_SOFT_FROM = 2
FIRST_PHRASE_SOFT_WORDS = 3
FIRST_PHRASE_HARD_WORDS = 3
# The second phrase must be ready when the ~1 s first chunk has played: kept short too (the speaking side
# joins it with what follows when it has time, `phrase_joining`).
SECOND_PHRASE_SOFT_WORDS = 5
SECOND_PHRASE_HARD_WORDS = 6


@dataclass(frozen=True)
class PhraseLimit:
    """Where a phrase may end before its sentence does: at a clause end once it has `clause_words` (or
    `clause_cjk` characters), or between words once it has `soft_words`: before a word that opens a clause
    (not before the `soft_from`-th word), or anywhere after `hard_words`."""

    clause_words: int
    clause_cjk: int
    soft_from: int
    soft_words: int
    hard_words: int
    # A Chinese clause longer than `cjk_window` characters is cut between words once it has `cjk_from` (None:
    # only at punctuation). The cut is chosen within the first `cjk_window` characters alone, so it is the same
    # whether the text arrives whole or token by token.
    cjk_from: int | None = None
    cjk_window: int = 0


# Chinese had no such cut: a first phrase ran to its first comma ("请检查你的电源适配器是否正常工作，", 16
# characters, ~4.6 s of speech), and 小星's first audio came ~4 s after her reply began. Cut between words after
# 5-8 characters, the first phrase is ~1.6 s of speech; the second, cut after 6-10, is ready when it has played.
FIRST_PHRASE = PhraseLimit(
    FIRST_PHRASE_MIN_WORDS,
    FIRST_PHRASE_MIN_CJK,
    FIRST_PHRASE_SOFT_FROM,
    FIRST_PHRASE_SOFT_WORDS,
    FIRST_PHRASE_HARD_WORDS,
    cjk_from=5,
    cjk_window=10,
)
SECOND_PHRASE = PhraseLimit(
    3, FIRST_PHRASE_MIN_CJK, 3, SECOND_PHRASE_SOFT_WORDS, SECOND_PHRASE_HARD_WORDS, cjk_from=6, cjk_window=12
)
# The first phrase as it was cut before first chunks (at a comma after 2 words, before a clause word once
# the sentence has 6, after 9 words): `bench engine` times both on the same replies.
OPENING_PHRASE = PhraseLimit(FIRST_PHRASE_MIN_WORDS, FIRST_PHRASE_MIN_CJK, 3, 6, 9)
# A written reply's later phrases are short pieces: at a clause end after 3 words, before a clause word
# once a sentence has 7, anywhere after 10 (~3.5 s of speech). Sized from the text alone, they stalled
# replies: a rule that let each phrase be as long as all before it, and whole sentences after 20 words,
# assumed Kokoro makes ~2.2 s of speech a second; on a slower day it made ~1.5 beside the chat model, and
# 6-12 of 12 bench replies went silent mid-reply (p95 2.2-4.1 s). Joining queued pieces when the audio
# ahead leaves time (`phrase_joining`) gives long phrases back wherever the machine can afford them.
LATER_PHRASE = PhraseLimit(3, FIRST_PHRASE_MIN_CJK, 3, 7, 10)
# Cached text (a greeting) is cut by a fixed rule, so its phrases are the same every time: each about as
# long as all before it, whole sentences after SENTENCES_ONLY_AFTER words.
SENTENCES_ONLY_AFTER = 20
LATER_MIN_WORDS = 6


def later_phrase_limit(said_words: int, said_cjk: int) -> PhraseLimit | None:
    """The limit for a phrase that follows `said_words` words / `said_cjk` CJK characters; None: no limit."""
    if said_words + said_cjk // 2 >= SENTENCES_ONLY_AFTER:
        return None
    budget = max(LATER_MIN_WORDS, said_words)
    return PhraseLimit(
        clause_words=max(3, budget // 2),
        clause_cjk=max(FIRST_PHRASE_MIN_CJK, said_cjk // 2),
        soft_from=max(3, budget * 2 // 3),
        soft_words=budget + 1,  # a sentence of `budget` words or fewer stays whole
        hard_words=budget + 4,
    )


_BREAK_BEFORE = frozenset(
    "and but because so which that while when or if with by for to before after about in on at from into "
    "like as than where who whose until unless though although since of how what why".split()
)
_COMPLETE_WORD = re.compile(r"\S+(?=\s)")

_BOLD = re.compile(r"(\*\*|__)(.+?)\1")
_ACTION = re.compile(r"\*[^*\n]{1,40}\*")  # role-play stage directions like *smiles*
# ... or in brackets: SmolLM2 writes "(laughs) It seems ...", which a voice reads out word for word.
_BRACKETED_ACTION = re.compile(
    r"[(\[](?:laugh|smil|sigh|giggl|chuckl|wink|grin|paus|nod|whisper|gasp|shrug|clears? (?:her|his|my) throat)"
    r"[a-z]*(?: [^()\[\]\n]{0,30})?[)\]]",
    re.IGNORECASE,
)
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_URL = re.compile(r"https?://\S+")
_MARKUP = re.compile(r"[*_`#>~|]+")
_BULLET = re.compile(r"(?m)^\s*(?:[-•]|\d+[.)])\s+")
_EMOJI = re.compile("[\U0001f000-\U0001faff\U00002600-\U000027bf\U0001f1e6-\U0001f1ff\u2b00-\u2bff\ufe0f\u200d\u20e3]+")
_SPACES = re.compile(r"\s+")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([,.!?;:，。！？、；：])")
_SPEAKABLE = re.compile(f"[0-9A-Za-z{CJK_RANGES}]")


def clean_for_speech(text: str) -> str:
    """Remove what should not be read aloud: markdown, links' targets, emoji, stage directions."""
    text = _BOLD.sub(r"\2", text)
    text = _ACTION.sub(" ", text)
    text = _BRACKETED_ACTION.sub(" ", text)
    text = _LINK.sub(r"\1", text)
    text = _URL.sub(" ", text)
    text = _BULLET.sub("", text)
    text = _MARKUP.sub("", text)
    text = _EMOJI.sub("", text)
    text = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", text)
    return _SPACES.sub(" ", text).strip()


def word_counts(text: str) -> tuple[int, int]:
    """(Latin words, CJK characters) in `text`: how long it is to say, whatever its script."""
    return script_counts(text)


def speech_units(text: str) -> float:
    """How long `text` is to say, in English words: a Chinese character takes ~0.6 of a word's time."""
    words, characters = word_counts(text)
    return words + characters * CJK_CHARACTER_IN_WORDS


def _long_enough_for_clause(text: str, limit: PhraseLimit) -> bool:
    words, characters = word_counts(text)
    return words >= limit.clause_words or characters >= limit.clause_cjk


def _ends_with_abbreviation(text: str) -> bool:
    words = text.rstrip(".").split()
    return bool(words) and words[-1].lower().strip("\"'(") in _ABBREVIATIONS


class PhraseSplitter:
    """Feed LLM text pieces in order; get back the phrases that became complete. One per reply.

    `fixed_growth`: cut later phrases by `later_phrase_limit` (the same cuts every time, for text whose
    audio is cached) instead of into `LATER_PHRASE` pieces for the speaking side to join."""

    def __init__(self, *, fixed_growth: bool = False, first: PhraseLimit | None = None) -> None:
        self._fixed_growth = fixed_growth
        self._first = first or FIRST_PHRASE  # `OPENING_PHRASE`: cut the first phrase as before first chunks
        self._buffer = ""
        self._emitted = 0  # phrases handed out so far
        self._said = (0, 0)  # their Latin words and CJK characters: later phrases may be longer

    def feed(self, piece: str) -> list[str]:
        self._buffer += piece
        phrases: list[str] = []
        while True:
            cut = self._next_cut()
            if cut is None:
                break
            raw, self._buffer = self._buffer[:cut], self._buffer[cut:]
            phrase = _TRAILING_DASH.sub("", clean_for_speech(raw))  # a dash we cut after is not read aloud
            if _SPEAKABLE.search(phrase):
                phrases.append(phrase)
                self._count(phrase)
        return phrases

    def flush(self) -> list[str]:
        """The rest of the reply, once the LLM has finished (or been stopped)."""
        phrase = clean_for_speech(self._buffer)
        self._buffer = ""
        if _SPEAKABLE.search(phrase):
            self._count(phrase)
            return [phrase]
        return []

    def _count(self, phrase: str) -> None:
        self._emitted += 1
        words, characters = word_counts(phrase)
        self._said = (self._said[0] + words, self._said[1] + characters)

    def _next_cut(self) -> int | None:
        """Index just past the end of the next complete phrase in the buffer, or None."""
        boundary = self._sentence_end()
        if self._emitted == 0:
            limit: PhraseLimit | None = self._first
        elif self._fixed_growth:
            limit = later_phrase_limit(*self._said)
        else:
            limit = SECOND_PHRASE if self._emitted == 1 and self._first is FIRST_PHRASE else LATER_PHRASE
        if limit is None:
            return boundary
        # An early phrase: the earliest of a sentence end, a clause end with enough words before it, or a
        # place between the words of a long sentence.
        clause = self._clause_end(boundary, limit)
        if clause is not None:
            boundary = clause
        word_cut = self._word_cut(boundary, limit)
        if word_cut is None:
            region = self._buffer if boundary is None else self._buffer[:boundary]
            word_cut = chinese_word_cut(region, limit.cjk_from, limit.cjk_window) if limit.cjk_from else None
        return word_cut if word_cut is not None else boundary

    def _sentence_end(self) -> int | None:
        for match in _SENTENCE_END.finditer(self._buffer):
            end = match.end()
            candidate = self._buffer[:end]
            if match.group().startswith(".") and _ends_with_abbreviation(candidate):
                continue
            if not _SPEAKABLE.search(candidate):
                continue  # a lone newline or "..." before any words: keep reading
            return end
        return None

    def _clause_end(self, end: int | None, limit: PhraseLimit) -> int | None:
        for match in _CLAUSE_END.finditer(self._buffer, 0, len(self._buffer) if end is None else end):
            if _long_enough_for_clause(self._buffer[: match.start()], limit):
                return match.end()
        return None

    def _word_cut(self, end: int | None, limit: PhraseLimit) -> int | None:
        """Where to cut a long sentence before `end` (a later phrase end), English only.

        Without an end only words followed by a space count (the last one may still be growing); up to a
        phrase end every word is complete. Either way the cut lands where token-by-token feeding puts it.
        """
        region = self._buffer if end is None else self._buffer[:end] + " "
        if CJK_CHARACTER.search(region):
            return None
        words = list(_COMPLETE_WORD.finditer(region))
        if len(words) < limit.soft_words:
            return None
        # Not past the hard cap: streamed text is cut there before any later clause word has arrived.
        for index in range(limit.soft_from, min(len(words), limit.hard_words + 1)):
            if words[index].group().lower().strip("\"'(") in _BREAK_BEFORE:
                return words[index].start()
        if len(words) > limit.hard_words:
            return words[limit.hard_words].start()
        return None


def detect_language(text: str) -> Literal["en", "zh"]:
    """The language to speak `text` in (model/text_language.py's rule); "en" for digits or symbols alone."""
    return text_language(text) or "en"
