"""Spoken test questions with reference transcripts: the default input of `bench engine` and of the tests.

The project makes them itself with its own Kokoro TTS (a different voice from the default reply voice),
so no recording has to ship with the repository; they are written once into a cache folder as
24 kHz pcm16 WAVs with `NAME.txt` references beside them. `load_utterances` reads any folder laid out
the same way (WAVs at any rate, stereo mixed down; references optional).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from model.audio import resample
from model.embedded.speak.kokoro import SpeechSynthesizer
from model.embedded.speak.phrases import detect_language

logger = logging.getLogger(__name__)

SAMPLE_RATE = 24_000
SPEAKER_VOICE = "jm_kumo"  # the "user": a male voice, unlike the default reply voice jf_alpha
CACHE_VERSION = "v1"  # bump when the questions or the voice change, so stale WAVs are not reused

ENGLISH_QUESTIONS: tuple[tuple[str, str], ...] = (
    ("en_weather", "What should I wear if it rains this afternoon?"),
    ("en_capital", "What is the capital city of France?"),
    ("en_recipe", "How do I make a quick breakfast with two eggs?"),
    ("en_sleep", "Can you give me one tip to sleep better tonight?"),
    ("en_music", "Which instrument would you learn first and why?"),
    ("en_travel", "I am driving to the coast tomorrow. Any advice?"),
    ("en_name", "Hello there, what is your name?"),
    ("en_joke", "Tell me something cheerful about cats."),
)
CHINESE_QUESTIONS: tuple[tuple[str, str], ...] = (
    ("zh_weather", "今天下午会下雨吗？"),
    ("zh_food", "你最喜欢吃什么水果？"),
    ("zh_greeting", "你好，请介绍一下你自己。"),
    ("zh_travel", "我明天想去公园散步。"),
)


@dataclass(frozen=True)
class Utterance:
    name: str
    audio: np.ndarray  # float32 mono at SAMPLE_RATE
    reference: str | None  # what was said, when known
    language: str  # "en", "zh" or "auto" (unknown)

    @property
    def seconds(self) -> float:
        return self.audio.size / SAMPLE_RATE


def read_wav(path: Path) -> np.ndarray:
    """float32 mono at SAMPLE_RATE from any WAV soundfile can read."""
    data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    return resample(data.mean(axis=1), int(rate), SAMPLE_RATE)


def write_wav(path: Path, audio: np.ndarray, rate: int = SAMPLE_RATE) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(str(path), np.clip(audio, -1.0, 1.0), rate, subtype="PCM_16")


def make_default_utterances(tts: SpeechSynthesizer, cache_dir: Path) -> list[Utterance]:
    """The 8 English + 4 Chinese questions, synthesised once into `cache_dir/utterances-<version>`."""
    folder = cache_dir / f"utterances-{CACHE_VERSION}"
    for name, text in (*ENGLISH_QUESTIONS, *CHINESE_QUESTIONS):
        wav = folder / f"{name}.wav"
        if wav.is_file():
            continue
        language = detect_language(text)
        speech = tts.synthesize(text, voice=SPEAKER_VOICE, speed=1.0, language=language)
        write_wav(wav, resample(speech, tts.sample_rate, SAMPLE_RATE))
        (folder / f"{name}.txt").write_text(text + "\n", encoding="utf-8")
        logger.info("made test utterance %s (%.1f s)", wav.name, speech.size / tts.sample_rate)
    return load_utterances(folder)


def load_utterances(folder: Path) -> list[Utterance]:
    """Every `*.wav` in `folder` (sorted by name) with its optional `NAME.txt` reference."""
    if not folder.is_dir():
        raise FileNotFoundError(f"No folder of WAV files at {folder}; pass an existing folder to --inputs.")
    wavs = sorted(folder.glob("*.wav"))
    if not wavs:
        raise FileNotFoundError(f"{folder} holds no .wav files; put the spoken test utterances there.")
    utterances = []
    for wav in wavs:
        reference_file = wav.with_suffix(".txt")
        reference = reference_file.read_text(encoding="utf-8").strip() if reference_file.is_file() else None
        language = detect_language(reference) if reference else "auto"
        utterances.append(Utterance(wav.stem, read_wav(wav), reference or None, language))
    return utterances


def trim_silence(audio: np.ndarray, threshold: float = 0.01) -> np.ndarray:
    """The audio between the first and last sample louder than `threshold` (TTS pads a little silence)."""
    loud = np.flatnonzero(np.abs(audio) > threshold)
    return audio[loud[0] : loud[-1] + 1] if loud.size else audio[:0]


# --------------------------------------------------------------------------- error rates

_PUNCTUATION = re.compile(r"[^\w\s]|_", re.UNICODE)


def _edit_distance(reference: list[str], hypothesis: list[str]) -> int:
    previous = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, start=1):
        current = [i] + [0] * len(hypothesis)
        for j, hyp in enumerate(hypothesis, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref != hyp))
        previous = current
    return previous[-1]


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", _PUNCTUATION.sub(" ", text.lower())).strip()


def error_units(reference: str, hypothesis: str, language: str) -> tuple[int, int]:
    """(errors, reference length): words for English (WER), characters for Chinese (CER)."""
    if language == "zh":
        ref = list(normalise(reference).replace(" ", ""))
        hyp = list(normalise(hypothesis).replace(" ", ""))
    else:
        ref, hyp = normalise(reference).split(), normalise(hypothesis).split()
    return _edit_distance(ref, hyp), len(ref)
