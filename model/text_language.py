"""English or Chinese: the one detector the engine, the quality lab and the card importer share.

The app speaks two languages written in two scripts, so the script decides: a text is Chinese when its
CJK characters are at least as many as its Latin words (a Chinese sentence may quote a brand name, an
English one may name 小星), English when Latin words outnumber them, and neither when it has no letters
of either script. A statistical language identifier would add a model and still need this rule for the
short, mixed phrases a voice engine speaks; whole texts with sentences in both languages are `both`.
"""

from __future__ import annotations

import re
from typing import Literal

Language = Literal["en", "zh"]

CJK_RANGES = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK ideographs (extension A, unified, compatibility)
CJK_CHARACTER = re.compile(f"[{CJK_RANGES}]")
LATIN_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
_SENTENCE = re.compile(r"[^.!?。！？\n]+")


def script_counts(text: str) -> tuple[int, int]:
    """(Latin words, CJK characters) in `text`."""
    return len(LATIN_WORD.findall(text)), len(CJK_CHARACTER.findall(text))


def detect_language(text: str) -> Language | None:
    """ "zh" when CJK characters are at least as many as Latin words, "en" when fewer, None for neither."""
    words, characters = script_counts(text)
    if not words and not characters:
        return None
    return "zh" if characters >= words else "en"


def languages_of(*texts: str) -> Literal["en", "zh", "both"]:
    """The language of a whole text, sentence by sentence: "both" when it has sentences in each."""
    found = {detect_language(sentence) for text in texts for sentence in _SENTENCE.findall(text)} - {None}
    if found == {"en", "zh"}:
        return "both"
    return "zh" if found == {"zh"} else "en"
