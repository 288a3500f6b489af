"""Tables of the quality lab: check runs and their replies. The schema is migration 0003_quality.

A run records exactly what was checked (persona version x scene version x engine, the script as
JSON, the voice's provenance card) so a report can be reproduced and two runs compared.
Each reply row carries its text, its WAV path (under the data directory) and every check result as JSON.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from stepaudio_ui.studio.store import utc_now


class QualityRun(SQLModel, table=True):
    __tablename__ = "quality_run"
    __table_args__ = (Index("ix_quality_run_persona", "persona_slug", "persona_version"),)
    id: int | None = Field(default=None, primary_key=True)
    persona_slug: str
    persona_version: int
    scene_slug: str | None = None
    scene_version: int | None = None
    engine: str
    script: str = Field(sa_type=Text)  # JSON of the CheckScript as run
    voice_card: str = Field(default="{}", sa_type=Text)  # JSON of the voice's provenance
    started_at: datetime = Field(default_factory=utc_now)
    finished_at: datetime | None = None
    passed: bool = False
    failed_checks: int = 0
    total_checks: int = 0
    audio_dir: str = ""
    # The temperature the run asked of the engine: 0.0, its most likely replies (a check run's default); None,
    # the engine's own sampling, as in a live conversation (`check --sampled`, and every run before 0008).
    temperature: float | None = None


class QualityReply(SQLModel, table=True):
    __tablename__ = "quality_reply"
    __table_args__ = (UniqueConstraint("run_id", "turn_index", name="uq_quality_reply_turn"),)
    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="quality_run.id")
    turn_index: int  # 0 = the greeting, 1.. = the script's turns
    user_text: str = Field(default="", sa_type=Text)
    reply_text: str = Field(default="", sa_type=Text)
    audio_path: str | None = None
    audio_seconds: float = 0.0
    latency_ms: float | None = None  # user turn sent -> first reply audio
    results: str = Field(default="[]", sa_type=Text)  # JSON list of CheckResult


class AbPreference(SQLModel, table=True):
    """One listener's pick between two replies to the same turn (blind or not). Migration 0004."""

    __tablename__ = "ab_preference"
    __table_args__ = (Index("ix_ab_preference_pair", "pair"),)
    id: int | None = Field(default=None, primary_key=True)
    pair: str  # the two configuration labels, sorted and joined by " || ": one key per pair, either order
    winner: str  # the preferred configuration's label
    loser: str
    user_text: str = Field(default="", sa_type=Text)
    blind: bool = True
    created_at: datetime = Field(default_factory=utc_now)
