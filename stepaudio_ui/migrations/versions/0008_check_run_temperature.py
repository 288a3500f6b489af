"""Check runs record the temperature they asked of the engine: 0 for the most likely replies (the default
from now on), NULL for the engine's own sampling (every run before this revision sampled).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite cannot ALTER TABLE ... ADD COLUMN inside alembic's checks otherwise.
    with op.batch_alter_table("quality_run") as batch:
        batch.add_column(sa.Column("temperature", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("quality_run") as batch:
        batch.drop_column("temperature")
