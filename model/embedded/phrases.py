"""Cut streamed LLM text into speakable phrases as soon as each is complete.

Phrases end at sentence punctuation. The FIRST phrase may also end at an earlier comma or dash once it
is long enough to sound natural on its own, or between words of a long first sentence, so the first audio
of a reply starts sooner. This is the only place a reply is cut: the same text is cut the same way whether
it arrives token by token from the chat model or whole (a greeting). Markdown, emoji and asterisks are
removed: they are for eyes, not ears.
"""

from __future__ import annotations

import re
from typing import Literal

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_CHAR = re.compile(f"[{_CJK}]")
_LATIN_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
# ASCII . ! ? end a sentence only when followed by whitespace (so "3.5" and "e.g" stay whole);
# full-width CJK punctuation and newlines always do. Closing quotes/brackets stay with their sentence.
_SENTENCE_END = re.compile(r"(?:[.!?…]+[\"'”’)\]]*(?=\s)|[。！？]+[”’」』）]*|\n+)")
_CLAUSE_END = re.compile(r"(?:[,;:](?=\s)|[，、；：]|\s[-–—](?=\s)|(?<=\w)—(?=\w))")
_TRAILING_DASH = re.compile(r"\s*[-–—]+$")
_ABBREVIATIONS = frozenset({"mr", "mrs", "ms", "dr", "prof", "st", "vs", "etc", "e.g", "i.e", "jr", "sr", "no"})
FIRST_PHRASE_MIN_WORDS = 2  # "I'm Alex," is ~0.6 s of audio: spoken ~0.5 s sooner than the whole sentence
FIRST_PHRASE_MIN_CJK = 4
# A first sentence with no comma is cut while it is still being written, before a word that opens a
# clause or a phrase ("... is / by using a warm bath"): Kokoro needs ~0.5 s per second of speech on 2
# cores, so a 14-word opening costs ~2 s of silence, its first 5 words ~0.8 s. Past the hard cap the cut
# falls between any two words.
FIRST_PHRASE_SOFT_WORDS = 6
FIRST_PHRASE_HARD_WORDS = 9
_BREAK_BEFORE = frozenset(
    "and but because so which that while when or if with by for to before after about in on at from into "
    "like as than where who whose until unless though although since of how what why".split()
)
_COMPLETE_WORD = re.compile(r"\S+(?=\s)")

_BOLD = re.compile(r"(\*\*|__)(.+?)\1")
_ACTION = re.compile(r"\*[^*\n]{1,40}\*")  # role-play stage directions like *smiles*
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_URL = re.compile(r"https?://\S+")
_MARKUP = re.compile(r"[*_`#>~|]+")
_BULLET = re.compile(r"(?m)^\s*(?:[-•]|\d+[.)])\s+")
_EMOJI = re.compile("[\U0001f000-\U0001faff\U00002600-\U000027bf\U0001f1e6-\U0001f1ff\u2b00-\u2bff\ufe0f\u200d\u20e3]+")
_SPACES = re.compile(r"\s+")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([,.!?;:，。！？、；：])")
_SPEAKABLE = re.compile(f"[0-9A-Za-z{_CJK}]")


def clean_for_speech(text: str) -> str:
    """Remove what should not be read aloud: markdown, links' targets, emoji, stage directions."""
    text = _BOLD.sub(r"\2", text)
    text = _ACTION.sub(" ", text)
    text = _LINK.sub(r"\1", text)
    text = _URL.sub(" ", text)
    text = _BULLET.sub("", text)
    text = _MARKUP.sub("", text)
    text = _EMOJI.sub("", text)
    text = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", text)
    return _SPACES.sub(" ", text).strip()


def word_counts(text: str) -> tuple[int, int]:
    """(Latin words, CJK characters) in `text`: how long it is to say, whatever its script."""
    return len(_LATIN_WORD.findall(text)), len(_CJK_CHAR.findall(text))


def _long_enough_for_first_phrase(text: str) -> bool:
    words, characters = word_counts(text)
    return words >= FIRST_PHRASE_MIN_WORDS or characters >= FIRST_PHRASE_MIN_CJK


def _ends_with_abbreviation(text: str) -> bool:
    words = text.rstrip(".").split()
    return bool(words) and words[-1].lower().strip("\"'(") in _ABBREVIATIONS


class PhraseSplitter:
    """Feed LLM text pieces in order; get back the phrases that became complete. One per reply."""

    def __init__(self) -> None:
        self._buffer = ""
        self._emitted_any = False

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
                self._emitted_any = True
        return phrases

    def flush(self) -> list[str]:
        """The rest of the reply, once the LLM has finished (or been stopped)."""
        phrase = clean_for_speech(self._buffer)
        self._buffer = ""
        if _SPEAKABLE.search(phrase):
            self._emitted_any = True
            return [phrase]
        return []

    def _next_cut(self) -> int | None:
        """Index just past the end of the next complete phrase in the buffer, or None."""
        boundary = self._sentence_end()
        if self._emitted_any:
            return boundary
        # The first phrase: the earliest of a sentence end, a clause end with enough words before it, or a
        # place between the words of a long first sentence.
        clause = self._first_clause_end(boundary)
        if clause is not None:
            boundary = clause
        word_cut = self._first_phrase_word_cut(boundary)
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

    def _first_clause_end(self, limit: int | None) -> int | None:
        for match in _CLAUSE_END.finditer(self._buffer, 0, len(self._buffer) if limit is None else limit):
            if _long_enough_for_first_phrase(self._buffer[: match.start()]):
                return match.end()
        return None

    def _first_phrase_word_cut(self, limit: int | None) -> int | None:
        """Where to cut a long first sentence before `limit` (a later phrase end), English only.

        Without a limit only words followed by a space count (the last one may still be growing); up to a
        phrase end every word is complete. Either way the cut lands where token-by-token feeding puts it.
        """
        region = self._buffer if limit is None else self._buffer[:limit] + " "
        if _CJK_CHAR.search(region):
            return None
        words = list(_COMPLETE_WORD.finditer(region))
        if len(words) < FIRST_PHRASE_SOFT_WORDS:
            return None
        for index in range(3, len(words)):
            if words[index].group().lower().strip("\"'(") in _BREAK_BEFORE:
                return words[index].start()
        if len(words) > FIRST_PHRASE_HARD_WORDS:
            return words[FIRST_PHRASE_HARD_WORDS].start()
        return None


def detect_language(text: str) -> Literal["en", "zh"]:
    """ "zh" when CJK characters outnumber Latin words (a Chinese sentence may quote a brand name), else "en"."""
    cjk = len(_CJK_CHAR.findall(text))
    return "zh" if cjk > 0 and cjk >= len(_LATIN_WORD.findall(text)) else "en"
