"""First sound: a reply's first audio made from a short first chunk, against the opening phrase of before.

For every reply of the run, on its own text and voice, the voice alone makes (interleaved, `REPEATS`
times each, the median kept):
- the first chunk, as replies are now cut (`phrases.FIRST_PHRASE`: a few words), and
- the opening phrase as it was cut before first chunks (`phrases.OPENING_PHRASE`: up to 9 words).
`chunk_ms / opener_ms` is how much sooner the first sound can start. A shorter first phrase must not be
heard as a seam: Whisper transcribes the reply as it was played (first chunk, then the rest, joined) and
the same reply made in one piece, and both are scored against the reply's text.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import numpy as np

from model.audio import resample
from model.embedded.models import EmbeddedModels
from model.embedded.speak.phrases import OPENING_PHRASE, PhraseLimit, PhraseSplitter, detect_language
from stepaudio_ui.bench.utterances import SAMPLE_RATE, error_units, trim_silence

REPEATS = 2
ASR_RATE = 16_000
MAX_ASR_S = 28.0  # one Whisper window


@dataclass(frozen=True)
class FirstChunk:
    """One reply's first chunk against its opening phrase of before, and how its joined audio is heard."""

    chunk: str
    opener: str
    chunk_ms: float
    opener_ms: float
    joined_errors: int  # Whisper's word (or, in Chinese, character) errors on the reply as it was played
    whole_errors: int  # ... on the same reply made in one piece
    reference_units: int  # words (characters) of the reply


def first_phrase(text: str, limit: PhraseLimit | None = None) -> str:
    """The first phrase of `text` as the splitter cuts it (with `limit`: cut that way instead)."""
    splitter = PhraseSplitter(first=limit)
    phrases = splitter.feed(text + " ") + splitter.flush()
    return phrases[0] if phrases else ""


def compare_first_chunk(
    models: EmbeddedModels, reply: str, played_24k: np.ndarray, *, voice: str, speed: float
) -> FirstChunk | None:
    """Time and hear one reply (see the module doc); None for a reply with nothing to say."""
    chunk, opener = first_phrase(reply), first_phrase(reply, OPENING_PHRASE)
    if not chunk or not opener or played_24k.size == 0:
        return None
    language = detect_language(reply)

    def make(text: str) -> np.ndarray:
        return models.tts.synthesize(text, voice=voice, speed=speed, language=detect_language(text))

    times: dict[str, list[float]] = {"chunk": [], "opener": []}
    for _ in range(REPEATS):
        for role, text in (("chunk", chunk), ("opener", opener)):  # interleaved: busier moments hit both alike
            started = time.perf_counter()
            make(text)
            times[role].append((time.perf_counter() - started) * 1000)
    whole = make(reply)

    def heard(audio: np.ndarray, rate: int) -> str:
        speech = resample(trim_silence(audio), rate, ASR_RATE)[: int(MAX_ASR_S * ASR_RATE)]
        return models.asr.transcribe(speech.astype(np.float32), language).text

    joined_errors, units = error_units(reply, heard(played_24k, SAMPLE_RATE), language)
    whole_errors, _ = error_units(reply, heard(whole, models.tts.sample_rate), language)
    return FirstChunk(
        chunk=chunk,
        opener=opener,
        chunk_ms=round(statistics.median(times["chunk"]), 1),
        opener_ms=round(statistics.median(times["opener"]), 1),
        joined_errors=joined_errors,
        whole_errors=whole_errors,
        reference_units=units,
    )


def summarise_first_chunks(compared: list[FirstChunk]) -> dict[str, float | int | None]:
    """p50 of chunk / opener time over all replies (a reply whose opening phrase was already a few words
    long counts as its measured ~1) and over those whose first phrase got shorter; both error rates."""
    shorter = [c for c in compared if c.chunk != c.opener]
    units = sum(c.reference_units for c in compared)

    def ratios(replies: list[FirstChunk]) -> list[float]:
        return [c.chunk_ms / c.opener_ms for c in replies if c.opener_ms > 0]

    def rate(errors: int) -> float | None:
        return round(errors / units, 4) if units else None

    return {
        "first_chunk_replies": len(compared),
        "first_chunk_shortened_replies": len(shorter),
        "first_chunk_p50_ms": _median([c.chunk_ms for c in compared]),
        "first_chunk_opener_p50_ms": _median([c.opener_ms for c in compared]),
        "first_chunk_over_opener_p50": _median(ratios(compared), digits=3),
        "first_chunk_over_opener_shortened_p50": _median(ratios(shorter), digits=3),
        "first_chunk_joined_wer": rate(sum(c.joined_errors for c in compared)),
        "first_chunk_whole_wer": rate(sum(c.whole_errors for c in compared)),
    }


def _median(values: list[float], digits: int = 1) -> float | None:
    return round(statistics.median(values), digits) if values else None
