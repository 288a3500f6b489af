"""Presets for the hosted realtime services: where they live, which model, which voices, which dialect.

The client itself is model/realtime/client.py; how each service spells the events on the wire is its
dialect (model/realtime/dialect.py). A preset is just data handed to the client, so adding a service
that speaks a known dialect is adding a `RealtimeService` here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from model.protocol import VoiceInfo

STEPFUN_REALTIME_URL = "wss://api.stepfun.com/v1/realtime"
STEPFUN_REALTIME_MODEL = "stepaudio-2.5-realtime"
OPENAI_REALTIME_URL = "wss://api.openai.com/v1/realtime"
# OpenAI's current realtime model (developers.openai.com/api/docs/models/gpt-realtime-2.1); plain
# "gpt-realtime" is deprecated with a shutdown date, so the model is a setting with this default.
OPENAI_REALTIME_MODEL = "gpt-realtime-2.1"
# The transcription model OpenAI's realtime transcription guide starts with; whisper-1 is deprecated.
OPENAI_TRANSCRIPTION_MODEL = "gpt-live-transcribe"

# "beta": flat session fields and response.audio.* names (our own /v1/realtime and compatible servers);
# "stepfun": the subset of that StepFun documents; "openai-ga": OpenAI's GA shapes (the beta ones are
# refused there with close code 4000 beta_api_shape_disabled).
DialectName = Literal["beta", "stepfun", "openai-ga"]


@dataclass(frozen=True)
class RealtimeService:
    """One realtime WebSocket service: enough to connect and to describe it in the engine picker."""

    engine_name: str
    title: str
    url: str
    model: str
    api_key: str | None
    key_setting: str  # the environment variable that carries the key, named in "not usable" reasons
    voices: tuple[VoiceInfo, ...] = ()
    default_voice: str | None = None
    # our own session fields (speed, language, greeting...) are only sent to our own endpoint
    send_extensions: bool = False
    extra_headers: dict[str, str] = field(default_factory=dict)
    requires_key: bool = True
    transcription_model: str | None = None  # None: don't ask the service to transcribe the user
    dialect: DialectName = "beta"

    @property
    def voice_ids(self) -> frozenset[str]:
        return frozenset(v.id for v in self.voices)


def _stepfun_voice(voice_id: str, name: str, description: str) -> VoiceInfo:
    return VoiceInfo(
        id=voice_id,
        name=name,
        languages=("zh", "en"),
        description=description,
        model=STEPFUN_REALTIME_MODEL,
        license="proprietary service (StepFun platform terms)",
        source="https://platform.stepfun.com/docs/zh/guides/developer/audio-chat",
        consent="StepFun system voice; provenance held by StepFun",
    )


# The system voices StepFun documents for its end-to-end speech models (audio-chat guide, step-audio-2
# series). The service may offer more; an unknown voice is dropped and the service's default is used.
STEPFUN_VOICES: tuple[VoiceInfo, ...] = (
    _stepfun_voice("qingchunshaonv", "青春少女 Youthful girl", "female, young and bright"),
    _stepfun_voice("wenrounansheng", "温柔男声 Gentle man", "male, soft and warm"),
    _stepfun_voice("livelybreezy-female", "活力少女 Lively girl", "female, lively and breezy"),
    _stepfun_voice("elegantgentle-female", "高雅女声 Elegant woman", "female, sincere, gentle and reassuring"),
)

OPENAI_VOICES: tuple[VoiceInfo, ...] = tuple(
    VoiceInfo(
        id=voice_id,
        name=voice_id.title(),
        languages=("en", "zh"),
        description="OpenAI realtime system voice",
        model=OPENAI_REALTIME_MODEL,
        license="proprietary service (OpenAI terms)",
        source="https://platform.openai.com/docs/guides/realtime",
        consent="OpenAI system voice; provenance held by OpenAI",
    )
    for voice_id in ("alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse", "marin", "cedar")
)


def stepfun_service(
    *, api_key: str | None, url: str = STEPFUN_REALTIME_URL, model: str = STEPFUN_REALTIME_MODEL
) -> RealtimeService:
    return RealtimeService(
        engine_name="stepfun",
        title="StepAudio 2.5 Realtime (StepFun)",
        url=url,
        model=model,
        api_key=api_key,
        key_setting="STEPAUDIO_STEPFUN_API_KEY",
        voices=STEPFUN_VOICES,
        default_voice="qingchunshaonv",
        dialect="stepfun",
    )


def openai_service(
    *,
    api_key: str | None,
    url: str = OPENAI_REALTIME_URL,
    model: str = OPENAI_REALTIME_MODEL,
    transcription_model: str = OPENAI_TRANSCRIPTION_MODEL,
) -> RealtimeService:
    return RealtimeService(
        engine_name="gpt-realtime",
        title="gpt-realtime (OpenAI)",
        url=url,
        model=model,
        api_key=api_key,
        key_setting="STEPAUDIO_OPENAI_API_KEY",
        voices=OPENAI_VOICES,
        default_voice="marin",
        transcription_model=transcription_model,
        dialect="openai-ga",  # no OpenAI-Beta header: that asks for the retired beta interface
    )


def own_endpoint_service(*, url: str, model: str | None = None, token: str | None = None) -> RealtimeService:
    """Any /v1/realtime endpoint of this app (or another copy of it): extensions on, key optional."""
    return RealtimeService(
        engine_name="remote",
        title=f"realtime endpoint {url}",
        url=url,
        model=model or "",
        api_key=token,
        key_setting="STEPAUDIO_REALTIME_TOKEN",
        send_extensions=True,
        requires_key=False,
    )
