"""Spotting a reply that recites the persona's instructions aloud.

A small brain copies its system prompt: Captain Grizzle, asked "Tell me about your ship.", answered "I'm a grumpy
old sea captain with a short fuse. You are gruff, impatient and easily annoyed, but secretly you care and always
give good advice in the end." (his character text, word for word, in the second person) in `bench brain` and in
a check run. A designer's instructions may hold brand rules nobody should hear; six words in a row (ten Chinese
characters) of the system prompt are counted as a recital, which a persona's own words rarely match by chance.
"""

from __future__ import annotations

import re

from model.text_language import CJK_CHARACTER

RECITAL_MIN_WORDS = 6
RECITAL_MIN_CJK = 10
# How much of what a reply already said is searched with each new phrase: enough for a run of either size.
RECITAL_CONTEXT_CHARS = 80
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_CJK_RUN = re.compile(f"(?:{CJK_CHARACTER.pattern})+")


def _word_runs(text: str) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    return {tuple(words[at : at + RECITAL_MIN_WORDS]) for at in range(len(words) - RECITAL_MIN_WORDS + 1)}


def _character_runs(text: str) -> set[str]:
    return {
        run[at : at + RECITAL_MIN_CJK] for run in _CJK_RUN.findall(text) for at in range(len(run) - RECITAL_MIN_CJK + 1)
    }


class Instructions:
    """The system prompt, searchable for a phrase that repeats a stretch of it."""

    def __init__(self, text: str) -> None:
        self._words = _word_runs(text)
        self._characters = _character_runs(text)

    def recited_in(self, phrase: str) -> bool:
        return bool(_word_runs(phrase) & self._words or _character_runs(phrase) & self._characters)
