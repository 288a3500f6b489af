"""Custom voices: uploaded reference clips with their provenance and consent.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import stepaudio_ui.studio.voice_table  # noqa: F401 - registers the table for the schema check (see 0003)

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "custom_voice",
        sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
        sa.Column("voice_id", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("language", sa.String(), nullable=False),
        sa.Column("clip", sa.LargeBinary(), nullable=False),
        sa.Column("clip_sha256", sa.String(), nullable=False),
        sa.Column("sample_rate", sa.Integer(), nullable=False),
        sa.Column("channels", sa.Integer(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("license", sa.Text(), nullable=False),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.Column("consent_speaker", sa.String(), nullable=False),
        sa.Column("consent_method", sa.Text(), nullable=False),
        sa.Column("consent_date", sa.Date(), nullable=True),
        sa.Column("consent_scope", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("provenance_history", sa.Text(), nullable=False),
        sa.UniqueConstraint("voice_id", name="uq_custom_voice_voice_id"),
    )


def downgrade() -> None:
    op.drop_table("custom_voice")
