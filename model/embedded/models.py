"""Load every model of the embedded engine once per process and share them between sessions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from model.embedded.asr import SpeechRecognizer
from model.embedded.llm import ChatModel
from model.embedded.tts import SpeechSynthesizer
from model.embedded.turn import EndOfTurnModel
from model.embedded.vad import SileroVadModel
from model.protocol import VoiceInfo


@dataclass(frozen=True)
class EmbeddedOptions:
    gguf_path: Path | None = None
    openai_url: str | None = None
    openai_key: str | None = None
    openai_model: str = "gpt-4o-mini"
    llm_threads: int = 2
    cache_dir: Path | None = None


@dataclass
class EmbeddedModels:
    vad_model: SileroVadModel
    turn_model: EndOfTurnModel | None
    asr: SpeechRecognizer
    llm: ChatModel
    tts: SpeechSynthesizer
    voices: list[VoiceInfo]


def load_models(options: EmbeddedOptions) -> EmbeddedModels:
    raise NotImplementedError


def warm_up(models: EmbeddedModels) -> None:
    raise NotImplementedError
