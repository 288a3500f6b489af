"""Word and character error rates for checking recognised speech against the text that was spoken."""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z0-9']+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_NUMBER_WORDS = {"0": "zero", "1": "one", "2": "two", "3": "three", "4": "four", "5": "five", "6": "six"}


def edit_distance(reference: list[str], hypothesis: list[str]) -> int:
    """Levenshtein distance over tokens (substitutions, insertions, deletions all cost 1)."""
    previous = list(range(len(hypothesis) + 1))
    for row, ref_token in enumerate(reference, start=1):
        current = [row]
        for column, hyp_token in enumerate(hypothesis, start=1):
            current.append(
                min(previous[column] + 1, current[column - 1] + 1, previous[column - 1] + (ref_token != hyp_token))
            )
        previous = current
    return previous[-1]


def words(text: str) -> list[str]:
    return [_NUMBER_WORDS.get(word, word) for word in _WORD.findall(text.lower())]


def word_error_rate(reference: str, hypothesis: str) -> float:
    reference_words = words(reference)
    if not reference_words:
        raise ValueError("The reference transcript has no words to compare against.")
    return edit_distance(reference_words, words(hypothesis)) / len(reference_words)


def character_error_rate(reference: str, hypothesis: str) -> float:
    """CER over Chinese characters only (punctuation and spacing differ between writers, not speech)."""
    reference_chars = _CJK.findall(reference)
    if not reference_chars:
        raise ValueError("The reference transcript has no Chinese characters to compare against.")
    return edit_distance(reference_chars, _CJK.findall(hypothesis)) / len(reference_chars)
