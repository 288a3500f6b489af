"""Semantic end of turn: does the user's speech so far sound like a finished turn?

Smart Turn v3.2 (BSD-2, pipecat-ai) is an ONNX Whisper-encoder classifier over the last <= 8 s of
16 kHz audio. Its file ships inside the `pipecat-ai` wheel; we locate it with importlib (importing
`pipecat` patches asyncio) and compute the Whisper log-mel features with numpy.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np


class EndOfTurnModel(Protocol):
    def probability_complete(self, audio_16k: np.ndarray) -> float:
        """Probability (0..1) that the turn is complete, given the last <= 8 s of the user's turn."""
        ...
