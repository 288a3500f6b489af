"""Step-Audio 2 mini's weights: whether this machine can run them, where they are, and loading them.

`gpu_availability` is checked without importing torch eagerly; `load_models` runs once per engine (it takes
minutes) and its `LoadedModels` pair is shared by every session. The engine is model/step_audio2/engine.py.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from model.protocol import Availability


def gpu_availability() -> Availability:
    """Why Step-Audio 2 mini can or cannot run here (checked without importing torch eagerly)."""
    missing = [name for name in ("torch", "stepaudio2", "token2wav") if importlib.util.find_spec(name) is None]
    if missing:
        return Availability(
            False, f"optional GPU extra not installed ({', '.join(missing)} missing): pip install .[gpu]"
        )
    import torch

    if not torch.cuda.is_available():
        return Availability(False, "no CUDA GPU here: Step-Audio 2 mini needs ~40 GB of GPU memory")
    return Availability(True)


@dataclass
class LoadedModels:
    """The loaded model pair, shared by all sessions of one engine (loading takes minutes)."""

    llm: Any
    token2wav: Any


def _resolve_weights(model: str) -> Path:
    path = Path(model).expanduser()
    if path.is_dir():
        return path
    from huggingface_hub import snapshot_download  # the GPU path may fetch weights (opt-in by installing it)

    return Path(snapshot_download(model))


def load_models(model: str) -> LoadedModels:
    from stepaudio2 import StepAudio2  # type: ignore[import-not-found]
    from token2wav import Token2wav  # type: ignore[import-not-found]

    weights = _resolve_weights(model)
    return LoadedModels(llm=StepAudio2(str(weights)), token2wav=Token2wav(str(weights / "token2wav")))
