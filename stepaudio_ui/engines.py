"""The engine registry: which voice engines this app offers, built from the settings.

Each engine is constructed here (cheaply: models load on `start()` or the first session), keyed by its
name. Later engines (remote realtime services, a GPU model) register themselves in `build_engines`.
"""

from __future__ import annotations

import logging

from model.embedded.engine import EmbeddedEngine
from model.embedded.models import EmbeddedOptions
from model.protocol import Engine
from stepaudio_ui.settings import Settings

logger = logging.getLogger(__name__)


def embedded_options(settings: Settings) -> EmbeddedOptions:
    """The embedded engine's options from the app settings (joined model files are cached in the data dir)."""
    return EmbeddedOptions(
        gguf_path=settings.llm_gguf_path.expanduser() if settings.llm_gguf_path else None,
        openai_url=settings.llm_openai_url or None,
        openai_key=settings.llm_openai_key or None,
        openai_model=settings.llm_openai_model,
        llm_threads=settings.llm_threads,
        cache_dir=settings.data_dir / "model-cache",
    )


def build_engines(settings: Settings) -> dict[str, Engine]:
    """Every engine the app can use, by name; the first one is the default."""
    engines: dict[str, Engine] = {}
    embedded = EmbeddedEngine(embedded_options(settings))
    engines[embedded.name] = embedded
    engines.update(remote_engines(settings))
    gpu = engines.get("step-audio-2-mini")
    if gpu is not None and gpu.availability().usable:  # a CUDA GPU and the gpu extra: the open model leads
        engines = {gpu.name: gpu, **{name: engine for name, engine in engines.items() if engine is not gpu}}
    logger.info("engines: %s", ", ".join(engines))
    return engines


def remote_engines(settings: Settings) -> dict[str, Engine]:
    """StepAudio 2.5 Realtime, gpt-realtime and Step-Audio 2 mini: always listed, usable when configured."""
    from model.realtime_client import RealtimeClientEngine
    from model.step_audio2 import StepAudio2Engine
    from model.stepfun import openai_service, stepfun_service

    stepfun = RealtimeClientEngine(
        stepfun_service(
            api_key=settings.stepfun_api_key, url=settings.stepfun_realtime_url, model=settings.stepfun_realtime_model
        )
    )
    openai = RealtimeClientEngine(
        openai_service(
            api_key=settings.openai_api_key, url=settings.openai_realtime_url, model=settings.openai_realtime_model
        )
    )
    gpu = StepAudio2Engine(settings.step_audio2_model)
    return {engine.name: engine for engine in (stepfun, openai, gpu)}
