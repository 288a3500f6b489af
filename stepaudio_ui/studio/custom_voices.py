"""Custom voices in the store: create (clip + provenance), complete the provenance later, list, read.

Boundary models are pydantic (`CustomVoiceInput`, `VoiceProvenance`); every write runs in one
`write_transaction`. A voice id is "custom-<slug of its name>", so it never collides with an
engine's packaged ids (jf_alpha, blend_warm, ...) and reads as what it is in a persona spec.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.orm import defer
from sqlmodel import Session, select

from stepaudio_ui.studio.core import StudioError, clean_author, validation_problem
from stepaudio_ui.studio.specs import slugify
from stepaudio_ui.studio.store import utc_now, write_transaction
from stepaudio_ui.studio.voice_clips import VoiceClipError, check_clip
from stepaudio_ui.studio.voice_table import CustomVoice

logger = logging.getLogger(__name__)

CUSTOM_PREFIX = "custom-"
# What the Voices tab calls each provenance field: refusals name the fields the way the form does.
FIELD_LABELS: dict[str, str] = {
    "source": "Source of the voice (who / where)",
    "license": "License / terms of use",
    "consent_speaker": "Consent: speaker's name",
    "consent_method": "Consent: how it was given",
    "consent_date": "Consent: date (YYYY-MM-DD)",
    "consent_scope": "Consent: scope",
}
CONSENT_FIELDS = ("consent_speaker", "consent_method", "consent_date", "consent_scope")


class CustomVoiceError(StudioError):
    """A custom voice request the studio refuses (bad clip, bad fields, unknown id); nothing was saved."""


class VoiceProvenance(BaseModel):
    """Where a custom voice comes from and the consent behind it. All optional until publishing."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)
    source: str = Field("", max_length=1_000)
    license: str = Field("", max_length=1_000)
    synthetic: bool = Field(False, description="declared: no human speaker behind the clip")
    consent_speaker: str = Field("", max_length=200)
    consent_method: str = Field("", max_length=1_000)
    consent_date: date | None = None
    consent_scope: str = Field("", max_length=1_000)

    @field_validator("consent_date", mode="before")
    @classmethod
    def _blank_date_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("consent_date")
    @classmethod
    def _not_in_future(cls, value: date | None) -> date | None:
        if value is not None and value > datetime.now(UTC).date():
            raise ValueError("the consent date is in the future; give the date consent was actually given")
        return value

    def missing(self) -> list[str]:
        """Fields still needed before a persona using this voice may be published (as form labels)."""
        needed = ["source", "license", *([] if self.synthetic else CONSENT_FIELDS)]
        return [FIELD_LABELS[name] for name in needed if not getattr(self, name)]

    def consent_text(self) -> str:
        if self.synthetic:
            return "declared synthetic: no human speaker behind the clip"
        if not any(getattr(self, name) for name in CONSENT_FIELDS):
            return "NOT ON RECORD"
        when = self.consent_date.isoformat() if self.consent_date else "date missing"
        return (
            f"{self.consent_speaker or 'speaker missing'}; {self.consent_method or 'how missing'}; "
            f"{when}; scope: {self.consent_scope or 'missing'}"
        )


class CustomVoiceInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)
    name: str = Field(min_length=1, max_length=80)
    description: str = Field("", max_length=1_000)
    language: Literal["en", "zh", "both"] = "en"
    provenance: VoiceProvenance = Field(default_factory=VoiceProvenance)


@dataclass(frozen=True)
class CustomVoiceView:
    voice_id: str
    name: str
    description: str
    language: str
    provenance: VoiceProvenance
    sample_rate: int
    channels: int
    duration_s: float
    clip_sha256: str
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime

    @property
    def missing(self) -> list[str]:
        return self.provenance.missing()


def is_custom_voice_id(voice_id: str | None) -> bool:
    return bool(voice_id) and str(voice_id).startswith(CUSTOM_PREFIX)


def _provenance_of(row: CustomVoice) -> VoiceProvenance:
    # Stored rows were validated when written; re-validating on read would turn a consent date entered
    # "today" in a timezone ahead of ours into an error when the voice is merely listed.
    return VoiceProvenance.model_construct(**{name: getattr(row, name) for name in VoiceProvenance.model_fields})


def view_of(row: CustomVoice) -> CustomVoiceView:
    columns = {field.name: getattr(row, field.name) for field in fields(CustomVoiceView) if field.name != "provenance"}
    return CustomVoiceView(**columns, provenance=_provenance_of(row))


def _validated(data: CustomVoiceInput | Mapping[str, Any]) -> CustomVoiceInput:
    if isinstance(data, CustomVoiceInput):
        return data
    try:
        return CustomVoiceInput.model_validate(dict(data))
    except ValidationError as error:
        raise CustomVoiceError(f"invalid custom voice: {validation_problem(error)}") from None


def _apply(row: CustomVoice, data: CustomVoiceInput) -> None:
    row.name, row.description, row.language = data.name, data.description, data.language
    for key, value in data.provenance.model_dump().items():
        setattr(row, key, value)


def _row(session: Session, voice_id: str, *, with_clip: bool = False) -> CustomVoice | None:
    query = select(CustomVoice).where(CustomVoice.voice_id == voice_id)
    if not with_clip:
        query = query.options(defer(CustomVoice.clip))  # type: ignore[arg-type]
    return session.exec(query).first()


def _free_voice_id(session: Session, name: str) -> str:
    base = CUSTOM_PREFIX + slugify(name)[:50].strip("-")
    taken = set(session.exec(select(CustomVoice.voice_id).where(CustomVoice.voice_id.like(f"{base}%"))).all())
    candidate, suffix = base, 2
    while candidate in taken:
        candidate, suffix = f"{base}-{suffix}", suffix + 1
    return candidate


def create_custom_voice(
    session: Session,
    *,
    data: CustomVoiceInput | Mapping[str, Any],
    clip: bytes,
    author: str,
    max_clip_bytes: int,
    source_name: str = "the clip",
) -> CustomVoiceView:
    """Store a new custom voice. Incomplete provenance is allowed here (it can be previewed); publishing
    a persona that uses it is what requires the provenance (`voice_publish_problem`)."""
    data, author = _validated(data), clean_author(author)
    try:
        facts = check_clip(clip, max_bytes=max_clip_bytes, source_name=source_name)
    except VoiceClipError as error:
        raise CustomVoiceError(str(error)) from None
    with write_transaction(session):
        row = CustomVoice(
            voice_id=_free_voice_id(session, data.name),
            name=data.name,
            language=data.language,
            clip=clip,
            clip_sha256=facts.sha256,
            sample_rate=facts.sample_rate,
            channels=facts.channels,
            duration_s=facts.duration_s,
            created_by=author,
            updated_by=author,
        )
        _apply(row, data)
        session.add(row)
        session.flush()
        view = view_of(row)
    logger.info("custom voice %s created by %s (%.1f s clip)", view.voice_id, author, view.duration_s)
    return view


def update_custom_voice(
    session: Session, *, voice_id: str, data: CustomVoiceInput | Mapping[str, Any], author: str
) -> CustomVoiceView:
    """Edit a voice's name, description, language and provenance (the clip never changes). The previous
    state is appended to the record's provenance history first, so nothing on record is lost."""
    data, author = _validated(data), clean_author(author)
    with write_transaction(session):
        row = _row(session, voice_id)
        if row is None:
            raise CustomVoiceError(f"no custom voice {voice_id!r}; pick one listed in the Voices tab")
        before = {
            "name": row.name,
            "description": row.description,
            "language": row.language,
            **_provenance_of(row).model_dump(mode="json"),
            "updated_by": row.updated_by,
            "updated_at": row.updated_at.isoformat(),
        }
        row.provenance_history = json.dumps([*json.loads(row.provenance_history or "[]"), before], ensure_ascii=False)
        _apply(row, data)
        row.updated_by, row.updated_at = author, utc_now()
        session.add(row)
        session.flush()
        view = view_of(row)
    logger.info("custom voice %s updated by %s (missing: %s)", voice_id, author, view.missing or "nothing")
    return view


def get_custom_voice(session: Session, voice_id: str) -> CustomVoiceView | None:
    row = _row(session, voice_id)
    return None if row is None else view_of(row)


def list_custom_voices(session: Session) -> list[CustomVoiceView]:
    rows = session.exec(select(CustomVoice).options(defer(CustomVoice.clip)).order_by(CustomVoice.id)).all()  # type: ignore[arg-type]
    return [view_of(row) for row in rows]


def custom_voice_clip(session: Session, voice_id: str) -> bytes | None:
    row = _row(session, voice_id, with_clip=True)
    return None if row is None else row.clip


def provenance_history(session: Session, voice_id: str) -> list[dict[str, Any]]:
    row = _row(session, voice_id)
    return [] if row is None else json.loads(row.provenance_history or "[]")


class VoiceProvenanceIncomplete(StudioError):
    """Publishing refused: the persona's custom voice lacks provenance or consent on record."""


def ensure_voice_publishable(session: Session, *, slug: str, number: int, voice_id: str) -> None:
    """Raise VoiceProvenanceIncomplete naming the missing fields and how to fill them; packaged voices pass."""
    if not is_custom_voice_id(voice_id):
        return
    voice = get_custom_voice(session, voice_id)
    if voice is None:
        raise VoiceProvenanceIncomplete(
            f"Persona {slug} v{number} uses the voice {voice_id!r}, which is not a custom voice on record here, "
            "so its provenance is unknown. Upload it in the Voices tab with its provenance, or pick another voice."
        )
    if voice.missing:
        raise VoiceProvenanceIncomplete(
            f"Persona {slug} v{number} cannot be published: its custom voice {voice.name} ({voice_id}) has no "
            f"complete provenance on record. Missing: {'; '.join(voice.missing)}. Fill them in the Voices tab "
            f"(pick {voice_id} under 'Custom voice', fill the fields, press 'Save custom voice'), or tick "
            "'Synthetic voice: no human speaker' if no person's voice is behind the clip; then publish again. "
            "Until then the version can still be previewed in Live and Compose preview."
        )
