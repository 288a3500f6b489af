"""The custom-voice table (migration 0005_custom_voices).

The clip itself is stored in the database, not in the data directory: `stepaudio-ui db backup` copies
one file, and a backup must hold the clip together with the consent that allows its use.
The clip is immutable (a different clip is a different voice, so a persona's voice id always means
the same timbre); the provenance fields can be completed later, and every earlier state of them is
kept in `provenance_history` (JSON list), so a consent record is never silently overwritten.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from stepaudio_ui.studio.store import utc_now


class CustomVoice(SQLModel, table=True):
    __tablename__ = "custom_voice"
    __table_args__ = (UniqueConstraint("voice_id", name="uq_custom_voice_voice_id"),)
    id: int | None = Field(default=None, primary_key=True)
    voice_id: str = Field(max_length=80)  # what a persona's `voice` names: "custom-<slug>"
    name: str
    description: str = Field(default="", sa_type=Text)
    language: str
    clip: bytes = Field(sa_type=LargeBinary)
    clip_sha256: str
    sample_rate: int
    channels: int
    duration_s: float
    source: str = Field(default="", sa_type=Text)
    license: str = Field(default="", sa_type=Text)
    synthetic: bool = False  # declared: no human speaker behind the clip
    consent_speaker: str = ""
    consent_method: str = Field(default="", sa_type=Text)
    consent_date: date | None = None
    consent_scope: str = Field(default="", sa_type=Text)
    created_by: str
    created_at: datetime = Field(default_factory=utc_now)
    updated_by: str
    updated_at: datetime = Field(default_factory=utc_now)
    provenance_history: str = Field(default="[]", sa_type=Text)
