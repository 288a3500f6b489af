"""Studio use cases for personas and scene tones: versions, conflicts, diff, restore, publish, archive.

One generic implementation serves both kinds: `KINDS` maps a kind to its tables and spec class.
Every function takes a SQLModel session as its first argument and keyword-only options; the ones
that write run in one atomic transaction (`store.write_transaction`) and commit it. Versions are
immutable: a save, a restore and an import all add a new numbered version.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from stepaudio_ui.studio.core import (
    KINDS,
    AnySpec,
    ConflictError,
    ImportProblem,
    ItemSummary,
    Kind,
    KindModels,
    NotFoundError,
    StudioError,
    VersionView,
    append_version,
    check_home_scene,
    clean_author,
    clean_note,
    coerce_spec,
    conflict_for,
    find_identity,
    kind_models,
    new_identity,
    require_identity,
    same_spec,
    summary_of,
    version_row,
    view_of,
)
from stepaudio_ui.studio.custom_voices import ensure_voice_publishable
from stepaudio_ui.studio.diff import FieldChange, diff_specs
from stepaudio_ui.studio.store import write_transaction

logger = logging.getLogger(__name__)

__all__ = [
    "ConflictError", "FieldChange", "ImportProblem", "ItemSummary", "KINDS", "Kind", "KindModels", "NotFoundError",
    "StudioError", "VersionView", "find_identity", "kind_models", "count_items", "create_item", "diff_specs", "diff_versions", "duplicate_item",
    "get_default_version", "get_version", "list_items", "list_tags", "list_versions", "publish_version",
    "restore_version", "save_version", "set_archived",
]  # fmt: skip


# --------------------------------------------------------------------------- use cases


def create_item(
    session: Session,
    *,
    kind: Kind,
    spec: AnySpec | Mapping[str, Any],
    author: str,
    note: str = "",
    slug: str | None = None,
) -> VersionView:
    """A new persona / scene tone at version 1. The slug comes from the name unless given."""
    models = kind_models(kind)
    spec = coerce_spec(models, spec)
    author, note = clean_author(author), clean_note(note)
    with write_transaction(session):
        check_home_scene(session, spec)
        identity = new_identity(session, models, spec=spec, slug=slug)
        row = append_version(session, models, identity, spec=spec, author=author, note=note or "created", based_on=None)
        view = view_of(models, identity, row)
    logger.info("created %s %s v1 by %s", kind, view.slug, author)
    return view


def save_version(
    session: Session,
    *,
    kind: Kind,
    slug: str,
    spec: AnySpec | Mapping[str, Any],
    base_number: int,
    author: str,
    note: str = "",
) -> VersionView:
    """Add a version on top of `base_number`; ConflictError if someone saved after it."""
    models = kind_models(kind)
    spec = coerce_spec(models, spec)
    author, note = clean_author(author), clean_note(note)
    try:
        with write_transaction(session):
            identity = require_identity(session, models, slug)
            if not 1 <= base_number <= identity.latest_number:
                raise StudioError(
                    f"base version {base_number} of {models.label} {slug!r} does not exist (latest is "
                    f"{identity.latest_number}); reload the {models.label} and edit from there"
                )
            if identity.latest_number != base_number:
                raise conflict_for(session, models, identity, base_number)
            latest = version_row(session, models, identity, base_number)
            if same_spec(models, latest.spec, spec):
                raise StudioError(f"nothing changed since version {base_number}; edit a field before saving")
            check_home_scene(session, spec)
            row = append_version(session, models, identity, spec=spec, author=author, note=note, based_on=base_number)
            view = view_of(models, identity, row)
    except IntegrityError:
        # Not reached while writers are serialised (write_transaction); kept as the unique constraint's
        # last line of defence against a writer that bypassed the lock: the other saver took our number.
        session.rollback()
        raise conflict_for(session, models, require_identity(session, models, slug), base_number) from None
    logger.info("saved %s %s v%d by %s", kind, slug, view.number, author)
    return view


def get_version(session: Session, *, kind: Kind, slug: str, number: int | None = None) -> VersionView:
    """One version; `number=None` is the latest."""
    models = kind_models(kind)
    identity = require_identity(session, models, slug)
    return view_of(models, identity, version_row(session, models, identity, number or identity.latest_number))


def get_default_version(session: Session, *, kind: Kind, slug: str) -> VersionView:
    """What the live demo uses: the published version, else the latest."""
    models = kind_models(kind)
    identity = require_identity(session, models, slug)
    number = identity.published_version or identity.latest_number
    return view_of(models, identity, version_row(session, models, identity, number))


def list_versions(session: Session, *, kind: Kind, slug: str) -> list[VersionView]:
    """Every version, newest first."""
    models = kind_models(kind)
    identity = require_identity(session, models, slug)
    rows = session.exec(
        select(models.version)
        .where(getattr(models.version, models.owner_column) == identity.id)
        .order_by(models.version.number.desc())
    ).all()
    return [view_of(models, identity, row) for row in rows]


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filtered(models: KindModels, *, query: str, tag: str | None, language: str | None, include_archived: bool) -> Any:
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
    session: Session,
    *,
    kind: Kind,
    query: str = "",
    tag: str | None = None,
    language: str | None = None,
    include_archived: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> list[ItemSummary]:
    """Most recently changed first. `query` words must all appear in name, slug, tagline/description or
    tags (case-insensitive); `tag` matches a whole tag; `language` is exact ("both" is not listed under "en")."""
    models = kind_models(kind)
    if not 1 <= limit <= 500 or offset < 0:
        raise StudioError(f"page out of range (limit={limit}, offset={offset}): use limit 1-500 and offset >= 0")
    conditions = _filtered(models, query=query, tag=tag, language=language, include_archived=include_archived)
    table = models.identity
    rows = session.exec(
        select(table).where(*conditions).order_by(table.updated_at.desc(), table.id.desc()).limit(limit).offset(offset)
    ).all()
    return [summary_of(models, row) for row in rows]


def count_items(
    session: Session,
    *,
    kind: Kind,
    query: str = "",
    tag: str | None = None,
    language: str | None = None,
    include_archived: bool = False,
) -> int:
    """How many items `list_items` would page through with the same filters."""
    models = kind_models(kind)
    conditions = _filtered(models, query=query, tag=tag, language=language, include_archived=include_archived)
    return session.exec(select(func.count()).select_from(models.identity).where(*conditions)).one()


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


def diff_versions(session: Session, *, kind: Kind, slug: str, a: int, b: int) -> list[FieldChange]:
    """What changed from version `a` to version `b`."""
    models = kind_models(kind)
    identity = require_identity(session, models, slug)
    spec_a = models.spec.model_validate_json(version_row(session, models, identity, a).spec)
    spec_b = models.spec.model_validate_json(version_row(session, models, identity, b).spec)
    return diff_specs(spec_a, spec_b)


def restore_version(session: Session, *, kind: Kind, slug: str, number: int, author: str) -> VersionView:
    """A new latest version with the content of version `number` (history is never rewritten)."""
    models = kind_models(kind)
    author = clean_author(author)
    with write_transaction(session):
        identity = require_identity(session, models, slug)
        old = version_row(session, models, identity, number)
        if number == identity.latest_number:
            raise StudioError(f"version {number} is already the latest; pick an older version to restore")
        latest = version_row(session, models, identity, identity.latest_number)
        if same_spec(models, latest.spec, models.spec.model_validate_json(old.spec)):
            raise StudioError(f"the latest version {latest.number} already has the content of version {number}")
        spec = models.spec.model_validate_json(old.spec)
        row = append_version(
            session, models, identity, spec=spec, author=author, note=f"restored from v{number}", based_on=number
        )
        view = view_of(models, identity, row)
    logger.info("restored %s %s v%d as v%d", kind, slug, number, view.number)
    return view


def publish_version(session: Session, *, kind: Kind, slug: str, number: int) -> VersionView:
    """Make `number` the version the live demo uses by default. A persona whose custom voice lacks its
    provenance or consent is refused here (VoiceProvenanceIncomplete), whichever button or command asks."""
    models = kind_models(kind)
    with write_transaction(session):
        identity = require_identity(session, models, slug)
        row = version_row(session, models, identity, number)
        if kind == "persona":
            voice = models.spec.model_validate_json(row.spec).voice  # type: ignore[union-attr]
            ensure_voice_publishable(session, slug=slug, number=number, voice_id=voice)
        identity.published_version = number
        session.add(identity)
        session.flush()
        view = view_of(models, identity, row)
    logger.info("published %s %s v%d", kind, slug, number)
    return view


def duplicate_item(session: Session, *, kind: Kind, slug: str, new_name: str, author: str) -> VersionView:
    """A new item (fresh slug, version 1) with the latest content of `slug` under `new_name`."""
    models = kind_models(kind)
    author = clean_author(author)
    source = get_version(session, kind=kind, slug=slug)
    spec = coerce_spec(models, {**source.spec.model_dump(), "name": new_name})
    with write_transaction(session):
        identity = new_identity(session, models, spec=spec, slug=None)
        row = append_version(
            session,
            models,
            identity,
            spec=spec,
            author=author,
            note=f"duplicated from {slug} v{source.number}",
            based_on=None,
        )
        view = view_of(models, identity, row)
    logger.info("duplicated %s %s v%d as %s", kind, slug, source.number, view.slug)
    return view


def set_archived(session: Session, *, kind: Kind, slug: str, archived: bool) -> None:
    """Archive hides an item from lists (nothing is deleted); unarchive brings it back."""
    models = kind_models(kind)
    with write_transaction(session):
        identity = require_identity(session, models, slug)
        identity.archived = archived
        session.add(identity)
    logger.info("%s %s %s", "archived" if archived else "unarchived", kind, slug)
