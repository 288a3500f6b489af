"""Studio use cases for personas and scene tones: versions, conflicts, diff, restore, publish, archive.

One generic implementation serves both kinds: `KINDS` maps a kind to its tables and spec class.
This module is the studio's front door: it also hands on the listing queries (`listing`) and the shared
kinds, errors and views (`core`), so callers import the use cases from one place.
Every function takes a SQLModel session as its first argument and keyword-only options; the ones
that write run in one atomic transaction (`store.write_transaction`) and commit it. Versions are
immutable: a save, a restore and an import all add a new numbered version.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

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
    clean_author,
    clean_note,
    coerce_spec,
    kind_models,
    same_spec,
    view_of,
)
from stepaudio_ui.studio.custom_voices import ensure_voice_publishable
from stepaudio_ui.studio.diff import FieldChange, diff_specs
from stepaudio_ui.studio.item_rows import (
    append_version,
    check_home_scene,
    conflict_for,
    find_identity,
    new_identity,
    require_identity,
    version_row,
)
from stepaudio_ui.studio.listing import count_items, list_items, list_tags
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
