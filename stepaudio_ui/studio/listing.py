"""Listing and searching personas and scene tones: pages, counts and tags.

Reads only the identity rows, whose copy of the latest version's name, summary, tags and lower-cased
search text lets 10,000 items be filtered and paged without touching the version table. Reached through
`library`, the studio's front door.
"""

from __future__ import annotations

from typing import Any, TypedDict, Unpack

from sqlmodel import Session, func, select

from stepaudio_ui.studio.core import ItemSummary, Kind, KindModels, StudioError, kind_models, summary_of


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class ItemFilters(TypedDict, total=False):
    """The filters `list_items` and `count_items` share; a filter left out does not filter."""

    query: str  # words that must all appear (name, slug, tagline/description, tags; case-insensitive)
    tag: str | None  # a whole tag
    language: str | None  # exact: "both" is not listed under "en"
    include_archived: bool


def _filtered(
    models: KindModels,
    *,
    query: str = "",
    tag: str | None = None,
    language: str | None = None,
    include_archived: bool = False,
) -> list[Any]:
    table = models.identity
    conditions = []
    if not include_archived:
        conditions.append(table.archived == False)  # noqa: E712 - SQL expression
    for word in query.lower().split():  # every word must appear somewhere: "storyteller zh"
        conditions.append(table.search_text.like(f"%{_like_escape(word)}%", escape="\\"))
    if tag:
        conditions.append(table.tags_text.like(f"%|{_like_escape(tag.strip().lower())}|%", escape="\\"))
    if language:
        conditions.append(table.language == language)
    return conditions


def list_items(
    session: Session, *, kind: Kind, limit: int = 50, offset: int = 0, **filters: Unpack[ItemFilters]
) -> list[ItemSummary]:
    """Most recently changed first, a page of `limit` items from `offset` (see `ItemFilters`)."""
    models = kind_models(kind)
    if not 1 <= limit <= 500 or offset < 0:
        raise StudioError(f"page out of range (limit={limit}, offset={offset}): use limit 1-500 and offset >= 0")
    table = models.identity
    rows = session.exec(
        select(table)
        .where(*_filtered(models, **filters))
        .order_by(table.updated_at.desc(), table.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return [summary_of(models, row) for row in rows]


def count_items(session: Session, *, kind: Kind, **filters: Unpack[ItemFilters]) -> int:
    """How many items `list_items` would page through with the same filters."""
    models = kind_models(kind)
    return session.exec(select(func.count()).select_from(models.identity).where(*_filtered(models, **filters))).one()


def list_tags(session: Session, *, kind: Kind, include_archived: bool = True) -> list[tuple[str, int]]:
    """Every tag in use with how many items carry it, most used first (for a tag filter)."""
    models = kind_models(kind)
    table = models.identity
    query = select(table.tags_text).where(table.tags_text != "")
    if not include_archived:
        query = query.where(table.archived == False)  # noqa: E712 - SQL expression
    counts: dict[str, int] = {}
    for tags_text in session.exec(query):
        for tag in filter(None, tags_text.split("|")):
            counts[tag] = counts.get(tag, 0) + 1
    return sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
