"""The engine registry: which voice engines this app offers, built from the settings.

Each engine is constructed here (cheaply: models load on `start()` or the first session), keyed by its
name. Later engines (remote realtime services, a GPU model) register themselves in `build_engines`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from model.embedded.engine import EmbeddedEngine
from model.embedded.models import EmbeddedOptions
from model.protocol import Engine
from stepaudio_ui.settings import Settings, secret

logger = logging.getLogger(__name__)


def embedded_options(settings: Settings) -> EmbeddedOptions:
    """The embedded engine's options from the app settings (joined model files are cached in the data dir)."""
    return EmbeddedOptions(
        brain=settings.llm,
        brain_cache_dir=settings.model_cache_dir.expanduser() if settings.model_cache_dir else None,
        gguf_path=settings.llm_gguf_path.expanduser() if settings.llm_gguf_path else None,
        openai_url=settings.llm_openai_url or None,
        openai_key=secret(settings.llm_openai_key),
        openai_model=settings.llm_openai_model,
        llm_threads=settings.llm_threads,
        llm_batch_threads=settings.llm_batch_threads,
        model_nice=settings.model_nice,
        cache_dir=settings.data_dir / "model-cache",
    )


GPU_ENGINE = "step-audio-2-mini"
CPU_ENGINE = "embedded"


def choose_default_engine(usable: Mapping[str, bool]) -> str | None:
    """The default-engine rule, from each listed engine's usability (in listing order).

    Step-Audio 2 mini where it can run (a CUDA GPU and the `gpu` extra), else the embedded CPU engine,
    else the first usable engine, else the first listed one (picking it then says why it cannot run).
    The Live tab, /v1/realtime and the engine order all follow this one rule.
    """
    for preferred in (GPU_ENGINE, CPU_ENGINE):
        if usable.get(preferred):
            return preferred
    return next((name for name, ok in usable.items() if ok), next(iter(usable), None))


def default_engine_name(engines: Mapping[str, Engine]) -> str | None:
    """`choose_default_engine` applied to these engines as they are now."""
    return choose_default_engine({name: engine.availability().usable for name, engine in engines.items()})


def build_engines(settings: Settings) -> dict[str, Engine]:
    """Every engine the app can use, by name; the default one (`default_engine_name`) first."""
    engines: dict[str, Engine] = {}
    embedded = EmbeddedEngine(embedded_options(settings))
    engines[embedded.name] = embedded
    engines.update(remote_engines(settings))
    default = default_engine_name(engines)
    if default is not None:
        engines = {default: engines[default], **{name: engine for name, engine in engines.items() if name != default}}
    logger.info("engines: %s (default %s)", ", ".join(engines), default)
    return engines


def remote_engines(settings: Settings) -> dict[str, Engine]:
    """StepAudio 2.5 Realtime, gpt-realtime and Step-Audio 2 mini: always listed, usable when configured."""
    from model.realtime.client import RealtimeClientEngine
    from model.realtime.presets import openai_service, stepfun_service
    from model.step_audio2.engine import StepAudio2Engine
    from stepaudio_ui.package_data import voice_clips_dir

    stepfun = RealtimeClientEngine(
        stepfun_service(
            api_key=secret(settings.stepfun_api_key),
            url=settings.stepfun_realtime_url,
            model=settings.stepfun_realtime_model,
        )
    )
    openai = RealtimeClientEngine(
        openai_service(
            api_key=secret(settings.openai_api_key),
            url=settings.openai_realtime_url,
            model=settings.openai_realtime_model,
            transcription_model=settings.openai_realtime_transcription_model,
        )
    )
    gpu = StepAudio2Engine(settings.step_audio2_model, voices_dir=voice_clips_dir())
    return {engine.name: engine for engine in (stepfun, openai, gpu)}
