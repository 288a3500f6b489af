"""The voice catalogue of the embedded engine: Kokoro's packaged voices and named blends of them."""

from __future__ import annotations

from model.protocol import VoiceInfo

DEFAULT_VOICE_ID = "jf_alpha"


def voice_catalogue() -> list[VoiceInfo]:
    raise NotImplementedError


def voice_info(voice_id: str) -> VoiceInfo:
    raise NotImplementedError
