"""What `stepaudio-ui bench brain` measures of one reply and of a set of replies: pure functions over text.

Language and length use the quality lab's own counting (quality/scorers.py); loops are a 4-gram said
twice in one reply (words in English, characters in Chinese); relevance is a reply naming what was asked
(`BenchTurn.relevant`); a repeat is a reply that shares half its 4-grams with an earlier reply of the
same conversation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from stepaudio_ui.quality.scorers import count_sentences, count_words, detect_language

_TOKENS = re.compile(r"[A-Za-z0-9']+|[\u3400-\u9fff]")
REPEAT_OVERLAP = 0.5


def four_grams(text: str) -> list[tuple[str, ...]]:
    tokens = [token.lower() for token in _TOKENS.findall(text)]
    return [tuple(tokens[i : i + 4]) for i in range(len(tokens) - 3)]


def loops(text: str) -> bool:
    """A 4-gram said twice in one reply: the model went round in a circle."""
    grams = four_grams(text)
    return len(grams) != len(set(grams))


def repeats_earlier(text: str, earlier: list[str]) -> bool:
    """Half or more of this reply's 4-grams were in one earlier reply (or it is the same short reply)."""
    grams = set(four_grams(text))
    if not grams:
        return bool(text.strip()) and text.strip() in [e.strip() for e in earlier]
    return any(len(grams & set(four_grams(before))) / len(grams) >= REPEAT_OVERLAP for before in earlier)


def relevant(text: str, words: tuple[str, ...]) -> bool:
    folded = text.casefold()
    return any(word.casefold() in folded for word in words)


def length_ok(text: str, max_sentences: int) -> bool:
    """Said something, in no more sentences than the scene allows."""
    return count_words(text) > 0 and count_sentences(text) <= max_sentences


@dataclass
class ReplyScore:
    persona: str
    user: str
    reply: str
    language: str  # wanted
    language_right: bool
    length_ok: bool
    words: int
    loops: bool
    relevant: bool
    in_character: float
    ttft_ms: float | None = None
    tokens_per_s: float | None = None
    decision_to_first_audio_ms: float | None = None


def score(
    *, persona: str, user: str, reply: str, language: str, max_sentences: int, relevant_words: tuple[str, ...],
    in_character: float,
) -> ReplyScore:  # fmt: skip
    return ReplyScore(
        persona=persona,
        user=user,
        reply=reply,
        language=language,
        language_right=detect_language(reply) == language,
        length_ok=length_ok(reply, max_sentences),
        words=count_words(reply),
        loops=loops(reply),
        relevant=relevant(reply, relevant_words),
        in_character=round(in_character, 3),
    )


def _share(values: list[bool]) -> float | None:
    return round(sum(values) / len(values), 3) if values else None


def _p50(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(float(np.percentile(present, 50)), 1) if present else None


@dataclass
class LanguageSummary:
    turns: int = 0
    language_right: float | None = None
    length_ok: float | None = None
    mean_words: float | None = None
    loops: float | None = None
    relevant: float | None = None
    in_character: float | None = None
    ttft_p50_ms: float | None = None
    tokens_per_s_p50: float | None = None
    decision_to_first_audio_p50_ms: float | None = None
    replies: list[dict[str, object]] = field(default_factory=list)


def summarise(scores: list[ReplyScore]) -> LanguageSummary:
    if not scores:
        return LanguageSummary()
    return LanguageSummary(
        turns=len(scores),
        language_right=_share([s.language_right for s in scores]),
        length_ok=_share([s.length_ok for s in scores]),
        mean_words=round(sum(s.words for s in scores) / len(scores), 1),
        loops=_share([s.loops for s in scores]),
        relevant=_share([s.relevant for s in scores]),
        in_character=round(sum(s.in_character for s in scores) / len(scores), 3),
        ttft_p50_ms=_p50([s.ttft_ms for s in scores]),
        tokens_per_s_p50=_p50([s.tokens_per_s for s in scores]),
        decision_to_first_audio_p50_ms=_p50([s.decision_to_first_audio_ms for s in scores]),
        replies=[s.__dict__ for s in scores],
    )


# Columns where higher is better, and the one where lower is (loops): "beats" means better on every one.
QUALITY_HIGHER = ("language_right", "length_ok", "relevant", "in_character")
QUALITY_LOWER = ("loops",)


def beats(candidate: LanguageSummary, baseline: LanguageSummary) -> dict[str, bool]:
    """Per quality column: is `candidate` at least as good as `baseline` (loops: no more of them)?"""
    verdict = {}
    for column in QUALITY_HIGHER:
        a, b = getattr(candidate, column), getattr(baseline, column)
        verdict[column] = a is not None and b is not None and a >= b
    for column in QUALITY_LOWER:
        a, b = getattr(candidate, column), getattr(baseline, column)
        verdict[column] = a is not None and b is not None and a <= b
    return verdict
