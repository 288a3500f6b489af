"""Conversations and their turns.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversation",
        sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
        sa.Column("persona_slug", sa.String(), nullable=False),
        sa.Column("persona_version", sa.Integer(), nullable=False),
        sa.Column("scene_slug", sa.String(), nullable=True),
        sa.Column("scene_version", sa.Integer(), nullable=True),
        sa.Column("engine", sa.String(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(), nullable=True),
    )
    op.create_index("ix_conversation_started_at", "conversation", ["started_at"])
    op.create_table(
        "conversation_turn",
        sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
        sa.Column("conversation_id", sa.Integer(), sa.ForeignKey("conversation.id"), nullable=False),
        sa.Column("index", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("interrupted", sa.Boolean(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("timings", sa.Text(), nullable=False),
        sa.Column("audio_path", sa.String(), nullable=True),
        sa.UniqueConstraint("conversation_id", "index", name="uq_conversation_turn_index"),
    )


def downgrade() -> None:
    op.drop_table("conversation_turn")
    op.drop_index("ix_conversation_started_at", table_name="conversation")
    op.drop_table("conversation")
