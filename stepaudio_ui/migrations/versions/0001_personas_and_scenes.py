"""Personas and scene tones: identity rows and immutable numbered versions.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _identity_table(name: str) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
        sa.Column("slug", sa.String(length=63), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("published_version", sa.Integer(), nullable=True),
        sa.Column("latest_number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("summary", sa.String(), nullable=False),
        sa.Column("language", sa.String(), nullable=False),
        sa.Column("tags_text", sa.String(), nullable=False),
        sa.Column("search_text", sa.String(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("slug", name=f"uq_{name}_slug"),
    )
    op.create_index(f"ix_{name}_listing", name, ["archived", "updated_at"])


def _version_table(name: str, owner: str) -> None:
    op.create_table(
        f"{name}_version",
        sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("spec", sa.Text(), nullable=False),
        sa.Column("author", sa.String(), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("based_on", sa.Integer(), nullable=True),
        sa.Column(f"{owner}_id", sa.Integer(), sa.ForeignKey(f"{owner}.id"), nullable=False),
        sa.UniqueConstraint(f"{owner}_id", "number", name=f"uq_{name}_version_number"),
    )


def upgrade() -> None:
    for kind in ("persona", "scene"):
        _identity_table(kind)
        _version_table(kind, kind)


def downgrade() -> None:
    for kind in ("persona", "scene"):
        op.drop_table(f"{kind}_version")
        op.drop_index(f"ix_{kind}_listing", table_name=kind)
        op.drop_table(kind)
