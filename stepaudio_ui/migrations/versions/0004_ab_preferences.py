"""Quality lab: A/B listening preferences.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import stepaudio_ui.quality.tables  # noqa: F401 - registers the tables for the schema check (see 0003)

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ab_preference",
        sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
        sa.Column("pair", sa.String(), nullable=False),
        sa.Column("winner", sa.String(), nullable=False),
        sa.Column("loser", sa.String(), nullable=False),
        sa.Column("user_text", sa.Text(), nullable=False),
        sa.Column("blind", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_ab_preference_pair", "ab_preference", ["pair"])


def downgrade() -> None:
    op.drop_index("ix_ab_preference_pair", table_name="ab_preference")
    op.drop_table("ab_preference")
