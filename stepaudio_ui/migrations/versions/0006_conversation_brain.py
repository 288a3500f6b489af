"""Conversations record the brain (the embedded engine's chat model) that answered, with its card.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite cannot ALTER TABLE ... ADD COLUMN inside alembic's checks otherwise.
    with op.batch_alter_table("conversation") as batch:
        batch.add_column(sa.Column("brain", sa.String(), nullable=True))
        batch.add_column(sa.Column("brain_card", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversation") as batch:
        batch.drop_column("brain_card")
        batch.drop_column("brain")
