"""Chat models for the embedded engine: llama.cpp over a GGUF file, or any OpenAI-compatible endpoint."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol


@dataclass(frozen=True)
class ChatMessage:
    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True)
class GenerationOptions:
    max_tokens: int = 96
    temperature: float = 0.7
    top_p: float = 0.9
    repeat_penalty: float = 1.2
    stop: tuple[str, ...] = ()


class ChatModel(Protocol):
    name: str
    context_tokens: int

    def stream_chat(
        self, messages: Sequence[ChatMessage], options: GenerationOptions, cancel: threading.Event
    ) -> Iterator[str]:
        """Yield text pieces of the reply; stops promptly once `cancel` is set."""
        ...

    def count_tokens(self, text: str) -> int:
        """Tokens `text` takes in this model's context (an estimate is fine for remote models)."""
        ...
