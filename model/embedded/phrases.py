"""Cut streamed LLM text into speakable phrases as soon as each is complete."""

from __future__ import annotations

from typing import Literal


class PhraseSplitter:
    def feed(self, piece: str) -> list[str]:
        raise NotImplementedError

    def flush(self) -> list[str]:
        raise NotImplementedError


def detect_language(text: str) -> Literal["en", "zh"]:
    raise NotImplementedError
