"""Scoring one reply against its expectations: pure functions over text, audio length and embeddings.

Each check gives a `CheckResult` with a score (a number people can watch move between runs) and
pass/fail against the threshold the script set. Speaking rate is words (Chinese: characters) per
second of reply audio, measured from the engine's own transcript of the reply and the audio length,
against what the scene's pacing asks for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel

from model.text_language import detect_language
from stepaudio_ui.quality.embedder import SentenceEmbedder
from stepaudio_ui.quality.script import Expectations
from stepaudio_ui.studio.specs import PersonaSpec

_SENTENCE_END = re.compile(r"[.!?。！？]+(?=\s|$|[\"'”’])|[。！？]+")
_LATIN_WORD = re.compile(r"[A-Za-z0-9']+")
_CJK_CHAR = re.compile(r"[\u3400-\u9fff]")
_WORD = re.compile(f"{_LATIN_WORD.pattern}|{_CJK_CHAR.pattern}")  # a Chinese character counts as a word
# Words per second of the embedded engine's Kokoro voices at speed 1.0, pauses between phrases included
# (silence before and after the reply is not): 3.1-3.9 on Nova's replies here (`stepaudio-ui check nova-in-car`). Mandarin counts characters
# and is a rough figure. A remote engine speaks at its own rate: give its pacing checks a wide tolerance.
BASE_RATE_PER_SECOND = {"en": 3.5, "zh": 4.5}
# Below this many words a reply's pace is not judged: the pause between its phrases outweighs the words (Lin's
# "Nice to meet you. 你好！", two phrases, measured 44% under her pace).
MIN_WORDS_FOR_PACE = 8
AI_DISCLOSURE_WORDS = ("ai", "a.i.", "artificial intelligence", "virtual assistant", "人工智能", "ai语音", "ai 语音")


class CheckResult(BaseModel):
    check: str  # e.g. "language", "max_words", "never_say"
    passed: bool
    score: float | None = None  # the measured value, when the check has one
    threshold: str = ""  # what was asked, for people: "<= 40", ">= 0.25", "en"
    detail: str = ""


@dataclass(frozen=True)
class Reply:
    text: str
    audio_seconds: float
    speech_seconds: float | None = None  # first to last voiced moment (the rate's denominator); None: all audio


def voiced_seconds(audio: np.ndarray, rate: int, *, threshold: float = 0.01) -> float:
    """Seconds from the first to the last 20 ms frame louder than `threshold` RMS: the silence a TTS
    leaves before and after a reply (long after a trailing colon, say) is not speech and would make a
    short reply look slow."""
    frame = max(rate // 50, 1)
    usable = audio[: audio.size - audio.size % frame].reshape(-1, frame)
    loud = np.flatnonzero(np.sqrt((usable.astype(np.float64) ** 2).mean(axis=1)) > threshold)
    return float((loud[-1] - loud[0] + 1) * frame / rate) if loud.size else 0.0


def count_sentences(text: str) -> int:
    pieces = [p for p in _SENTENCE_END.split(text) if _WORD.search(p)]
    return len(pieces)


def count_words(text: str) -> int:
    """English words; each Chinese character counts as one word."""
    return len(_WORD.findall(text))


def _contains(text: str, phrase: str) -> bool:
    return phrase.casefold() in text.casefold()


def _mentions_ai(text: str) -> bool:
    lowered = f" {text.casefold()} "
    return any(
        re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", lowered) if word.isascii() else word in lowered
        for word in AI_DISCLOSURE_WORDS
    )


def character_references(persona: PersonaSpec) -> list[str]:
    """What 'in character' is measured against: the character text, its sentences, and the example replies."""
    sentences = [s.strip() for s in re.split(r"(?<=[.!?。！？])\s*", persona.character) if len(s.strip()) > 10]
    return [persona.character, *sentences, *(e.assistant for e in persona.examples)]


def expected_rate(text: str, speed: float) -> float:
    """Words (a Chinese character counting as one) per second that `text` takes at the engine's pace: its
    English words at the English rate and its characters at the Chinese one, so a code-switching reply
    ("Nice to meet you. 你好！") is held to neither language's rate alone."""
    latin, cjk = len(_LATIN_WORD.findall(text)), len(_CJK_CHAR.findall(text))
    if latin + cjk == 0:
        return BASE_RATE_PER_SECOND["en"] * speed
    seconds = (latin / BASE_RATE_PER_SECOND["en"] + cjk / BASE_RATE_PER_SECOND["zh"]) / speed
    return (latin + cjk) / seconds


def score_reply(
    reply: Reply, expect: Expectations, *, persona: PersonaSpec, speed: float, embedder: SentenceEmbedder
) -> list[CheckResult]:
    """Every check `expect` asks for, in a fixed order (so runs compare check by check)."""
    text = reply.text.strip()
    results: list[CheckResult] = []
    if not text:
        results.append(CheckResult(check="replied", passed=False, detail="the engine gave no reply text"))
    if expect.language:
        found = detect_language(text)
        results.append(
            CheckResult(
                check="language", passed=found == expect.language, threshold=expect.language, detail=found or "none"
            )
        )
    sentences, words = count_sentences(text), count_words(text)
    if expect.max_sentences is not None:
        results.append(
            CheckResult(
                check="max_sentences",
                passed=sentences <= expect.max_sentences,
                score=sentences,
                threshold=f"<= {expect.max_sentences}",
            )
        )
    if expect.min_words is not None:
        results.append(
            CheckResult(
                check="min_words", passed=words >= expect.min_words, score=words, threshold=f">= {expect.min_words}"
            )
        )
    if expect.max_words is not None:
        results.append(
            CheckResult(
                check="max_words", passed=words <= expect.max_words, score=words, threshold=f"<= {expect.max_words}"
            )
        )
    if expect.max_audio_seconds is not None:
        results.append(
            CheckResult(
                check="max_audio_seconds",
                passed=reply.audio_seconds <= expect.max_audio_seconds,
                score=round(reply.audio_seconds, 2),
                threshold=f"<= {expect.max_audio_seconds}",
            )
        )
    for phrase in expect.must_mention:
        results.append(CheckResult(check=f"must_mention:{phrase}", passed=_contains(text, phrase), threshold=phrase))
    if expect.must_mention_any:
        hits = [p for p in expect.must_mention_any if _contains(text, p)]
        results.append(
            CheckResult(
                check="must_mention_any",
                passed=bool(hits),
                threshold=" | ".join(expect.must_mention_any),
                detail=", ".join(hits) or "none of them",
            )
        )
    never_say = list(expect.never_say)
    topics = list(expect.never_topics)
    if expect.persona_guardrails:
        never_say += [p for p in persona.guardrails.avoid_phrases if p not in never_say]
        topics += [t for t in persona.guardrails.avoid_topics if t not in topics]
    if never_say:
        said = [p for p in never_say if _contains(text, p)]
        results.append(
            CheckResult(
                check="never_say",
                passed=not said,
                score=len(said),
                threshold="none of: " + " | ".join(never_say),
                detail=("said: " + ", ".join(said)) if said else "",
            )
        )
    if topics and text:
        # Sentence by sentence as well as whole: one off-limits sentence inside a long ramble still counts.
        pieces = [text, *(p for p in re.split(r"(?<=[.!?。！？])\s*", text) if count_words(p) >= 3)]
        scores = {topic: max(embedder.similarity(piece, [topic]) for piece in pieces) for topic in topics}
        worst_topic, worst = max(scores.items(), key=lambda item: item[1])
        results.append(
            CheckResult(
                check="never_topics",
                passed=worst < expect.topic_threshold,
                score=round(worst, 3),
                threshold=f"< {expect.topic_threshold}",
                detail=f"closest topic: {worst_topic}",
            )
        )
    if expect.min_in_character is not None:
        similarity = embedder.similarity(text, character_references(persona)) if text else 0.0
        results.append(
            CheckResult(
                check="in_character",
                passed=similarity >= expect.min_in_character,
                score=round(similarity, 3),
                threshold=f">= {expect.min_in_character}",
            )
        )
    if expect.pacing_tolerance is not None:
        wanted = expected_rate(text, speed)
        seconds = reply.speech_seconds if reply.speech_seconds is not None else reply.audio_seconds
        rate = words / seconds if seconds > 0 else 0.0
        deviation = abs(rate / wanted - 1.0)
        judged = words >= MIN_WORDS_FOR_PACE
        cjk, latin = bool(_CJK_CHAR.search(text)), bool(_LATIN_WORD.search(text))
        unit = "words and characters/s" if cjk and latin else "chars/s" if cjk else "words/s"
        results.append(
            CheckResult(
                check="speaking_rate",
                passed=deviation <= expect.pacing_tolerance or not judged,
                score=round(rate, 2),
                threshold=f"{wanted:.2f} {unit} ± {expect.pacing_tolerance:.0%}",
                detail=f"{deviation:.0%} off the scene's pace"
                + ("" if judged else f"; not judged under {MIN_WORDS_FOR_PACE} words"),
            )
        )
    if expect.discloses_ai:
        results.append(CheckResult(check="discloses_ai", passed=_mentions_ai(text), threshold="says it is an AI voice"))
    return results
