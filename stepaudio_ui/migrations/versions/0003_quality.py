"""Quality lab: check runs and their replies.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Registers the tables on SQLModel.metadata whenever migrations are loaded, so the schema check
# (migrations == models) sees them even in a process that never imported the quality lab.
import stepaudio_ui.quality.tables  # noqa: F401

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quality_run",
        sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
        sa.Column("persona_slug", sa.String(), nullable=False),
        sa.Column("persona_version", sa.Integer(), nullable=False),
        sa.Column("scene_slug", sa.String(), nullable=True),
        sa.Column("scene_version", sa.Integer(), nullable=True),
        sa.Column("engine", sa.String(), nullable=False),
        sa.Column("script", sa.Text(), nullable=False),
        sa.Column("voice_card", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("failed_checks", sa.Integer(), nullable=False),
        sa.Column("total_checks", sa.Integer(), nullable=False),
        sa.Column("audio_dir", sa.String(), nullable=False),
    )
    op.create_index("ix_quality_run_persona", "quality_run", ["persona_slug", "persona_version"])
    op.create_table(
        "quality_reply",
        sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("quality_run.id"), nullable=False),
        sa.Column("turn_index", sa.Integer(), nullable=False),
        sa.Column("user_text", sa.Text(), nullable=False),
        sa.Column("reply_text", sa.Text(), nullable=False),
        sa.Column("audio_path", sa.String(), nullable=True),
        sa.Column("audio_seconds", sa.Float(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=True),
        sa.Column("results", sa.Text(), nullable=False),
        sa.UniqueConstraint("run_id", "turn_index", name="uq_quality_reply_turn"),
    )


def downgrade() -> None:
    op.drop_table("quality_reply")
    op.drop_index("ix_quality_run_persona", table_name="quality_run")
    op.drop_table("quality_run")
