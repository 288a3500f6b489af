"""Conversations may have no persona: a /v1/realtime client that names none talks to a plain assistant
it instructs itself, and that conversation is recorded too.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# What a downgrade writes in place of "no persona", and an upgrade turns back into it: the old schema
# needs a value, and none may be lost. No persona slug can look like this (slugs are [a-z0-9-]).
NO_PERSONA_SLUG = "(no persona)"
NO_PERSONA_VERSION = 0


def _set_persona_columns(*, nullable: bool) -> None:
    """Change the persona columns' NULL constraint, keeping every conversation and turn.

    SQLite cannot change a NULL constraint in place: batch mode copies the table and drops the old one,
    and with foreign keys on (they cannot be turned off inside the migration's transaction) dropping a
    table that turns point at fails. So on SQLite the turns wait in a temporary table meanwhile."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("CREATE TEMP TABLE conversation_turn_aside AS SELECT * FROM conversation_turn")
        op.execute("DELETE FROM conversation_turn")
    with op.batch_alter_table("conversation") as batch:
        batch.alter_column("persona_slug", existing_type=sa.String(), nullable=nullable)
        batch.alter_column("persona_version", existing_type=sa.Integer(), nullable=nullable)
    if sqlite:
        op.execute("INSERT INTO conversation_turn SELECT * FROM conversation_turn_aside")
        op.execute("DROP TABLE conversation_turn_aside")


def upgrade() -> None:
    _set_persona_columns(nullable=True)
    op.execute(
        sa.text(
            "UPDATE conversation SET persona_slug = NULL, persona_version = NULL "
            "WHERE persona_slug = :slug AND persona_version = :version"
        ).bindparams(slug=NO_PERSONA_SLUG, version=NO_PERSONA_VERSION)
    )


def downgrade() -> None:
    op.execute(
        sa.text(
            "UPDATE conversation SET persona_slug = :slug, persona_version = :version WHERE persona_slug IS NULL"
        ).bindparams(slug=NO_PERSONA_SLUG, version=NO_PERSONA_VERSION)
    )
    _set_persona_columns(nullable=False)
