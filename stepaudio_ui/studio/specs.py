"""What a writer authors: the persona spec and the scene-tone spec, with limits on every field.

These are the boundary models: forms, imports and seed files are all validated here, and a
validation error names the field (pydantic's `loc`). Stored versions hold `model_dump()` of these.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

PersonaLanguage = Literal["en", "zh", "both"]
SceneLanguage = Literal["en", "zh", "both"]

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
# "No scene tone" wherever a scene slug is asked for (`?scene=none`, the pickers): no scene may take this slug.
NO_SCENE = "none"

# The highest version number an item may reach: far beyond any real history, well inside every database's
# integer column (a file claiming v2^63 imported, then every later save overflowed).
MAX_VERSION_NUMBER = 1_000_000
_SLUG_CLEAN = re.compile(r"[^a-z0-9]+")

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Phrase = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=40)]
Trait = Annotated[float, Field(ge=0.0, le=1.0)]


def slugify(name: str, fallback: str = "persona") -> str:
    """'Ada — the In-Car Helper!' -> 'ada-the-in-car-helper', '小星' -> 'xiao-xing', 'Zoë' -> 'zoe'.

    ASCII only: Chinese characters become their pinyin (pypinyin, which misaki's Mandarin voice installs),
    accented letters lose their accents; `fallback` when nothing is left (a name of emoji or symbols).
    """
    if not name.isascii():
        from pypinyin import lazy_pinyin  # ~0.5 s to import: only names that need it pay

        name = unicodedata.normalize("NFKD", " ".join(lazy_pinyin(name))).encode("ascii", "ignore").decode()
    slug = _SLUG_CLEAN.sub("-", name.lower()).strip("-")[:63].strip("-")
    return slug or fallback


class _Spec(BaseModel):
    # forbid: a typo in an import file ("greating") is an error that names it, not silently dropped.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class ExampleExchange(_Spec):
    user: str = Field(min_length=1, max_length=1_000)
    assistant: str = Field(min_length=1, max_length=1_000)


class Traits(_Spec):
    """0 = none of it, 1 = as much as possible. 0.5 is neutral."""

    warmth: Trait = 0.5
    temper: Trait = 0.2
    energy: Trait = 0.5
    formality: Trait = 0.5
    humor: Trait = 0.3


class Guardrails(_Spec):
    avoid_topics: list[Phrase] = Field(default_factory=list, max_length=30)
    avoid_phrases: list[Phrase] = Field(default_factory=list, max_length=50)


class PersonaSpec(_Spec):
    name: str = Field(min_length=1, max_length=80)
    tagline: str = Field("", max_length=160)
    language: PersonaLanguage = "en"
    character: str = Field(min_length=1, max_length=6_000, description="character / system prompt")
    greeting: str = Field("", max_length=500)
    examples: list[ExampleExchange] = Field(default_factory=list, max_length=12)
    traits: Traits = Field(default_factory=Traits)
    speaking_style: str = Field("", max_length=1_000)
    voice: str = Field("jf_alpha", min_length=1, max_length=80)
    speed: float = Field(1.0, ge=0.5, le=2.0)
    guardrails: Guardrails = Field(default_factory=Guardrails)
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    home_scene: str | None = Field(
        None,
        pattern=SLUG_PATTERN,
        description="slug of the scene tone this persona belongs in; a session that names no scene runs under it "
        "(none: no scene tone, a neutral frame)",
    )

    @field_validator("home_scene", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        """A form's empty choice, or "none", means no home scene, like an absent field."""
        if isinstance(value, str) and value.strip().lower() in ("", NO_SCENE):
            return None
        return value

    @field_validator("name")
    @classmethod
    def _name_has_text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("name must not be blank")
        return value


class TurnTaking(_Spec):
    silence_ms: int = Field(500, ge=150, le=3_000, description="silence before the persona replies")
    allow_interrupt: bool = True


class SceneSpec(_Spec):
    name: str = Field(min_length=1, max_length=80)
    description: str = Field("", max_length=1_000, description="the frame of the whole interaction")
    mood: str = Field("", max_length=300, description="mood / emotional frame")
    pacing: float = Field(1.0, ge=0.5, le=1.5, description="speed multiplier on the persona's speed")
    verbosity: int = Field(3, ge=1, le=12, description="max sentences per reply")
    formality: Trait = 0.5
    context: str = Field("", max_length=1_000, description='situational context, e.g. "the user is driving"')
    turn_taking: TurnTaking = Field(default_factory=TurnTaking)
    language_override: SceneLanguage | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    require_ai_disclosure: bool = Field(
        False, description="the persona's greeting must say it is an AI voice (added to the greeting if missing)"
    )
