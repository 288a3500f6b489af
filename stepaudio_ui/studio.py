"""Studio use cases for personas and scene tones: versions, conflicts, diff, restore, publish, archive.

One generic implementation serves both kinds: `KINDS` maps a kind to its tables and spec class.
Every function takes a SQLModel session as its first argument and keyword-only options; the ones
that write run in one atomic transaction (`store.write_transaction`) and commit it. Versions are
immutable: a save, a restore and an import all add a new numbered version.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, or_, select

from stepaudio_ui.specs import SLUG_PATTERN, PersonaSpec, SceneSpec, slugify
from stepaudio_ui.store import Persona, PersonaVersion, Scene, SceneVersion, utc_now, write_transaction
from stepaudio_ui.studio_diff import FieldChange, changed_fields_text, diff_specs

logger = logging.getLogger(__name__)

Kind = Literal["persona", "scene"]
AnySpec = PersonaSpec | SceneSpec

__all__ = [
    "ConflictError", "FieldChange", "ImportProblem", "ItemSummary", "KINDS", "Kind", "NotFoundError", "StudioError",
    "VersionView", "count_items", "create_item", "diff_specs", "diff_versions", "duplicate_item",
    "get_default_version", "get_version", "list_items", "list_versions", "publish_version",
    "restore_version", "save_version", "seed_if_empty", "set_archived",
]  # fmt: skip


class StudioError(Exception):
    """A request the studio refuses; the message names the problem and the fix."""


class NotFoundError(StudioError):
    pass


class ImportProblem(StudioError):
    """A file that cannot be imported (bad JSON, wrong schema, too big, a PNG without a card); nothing was saved."""


# --------------------------------------------------------------------------- kinds


@dataclass(frozen=True)
class KindModels:
    kind: Kind
    label: str  # what a writer calls it, for messages
    command: str  # the CLI group, for messages
    identity: type[Persona] | type[Scene]
    version: type[PersonaVersion] | type[SceneVersion]
    owner_column: str  # the version table's foreign key to the identity row
    spec: type[PersonaSpec] | type[SceneSpec]

    def owner_id(self, version_row: PersonaVersion | SceneVersion) -> int:
        return getattr(version_row, self.owner_column)


KINDS: dict[str, KindModels] = {
    "persona": KindModels("persona", "persona", "personas", Persona, PersonaVersion, "persona_id", PersonaSpec),
    "scene": KindModels("scene", "scene tone", "scenes", Scene, SceneVersion, "scene_id", SceneSpec),
}


def kind_models(kind: str) -> KindModels:
    try:
        return KINDS[kind]
    except KeyError:
        raise StudioError(f"unknown kind {kind!r}: use 'persona' or 'scene'") from None


def _summary_of(spec: AnySpec) -> str:
    return spec.tagline if isinstance(spec, PersonaSpec) else spec.description


def _language_of(spec: AnySpec) -> str:
    """A scene without a language override has language '' (it takes the persona's)."""
    return spec.language if isinstance(spec, PersonaSpec) else (spec.language_override or "")


# --------------------------------------------------------------------------- views


@dataclass(frozen=True)
class VersionView:
    kind: Kind
    slug: str
    number: int
    spec: AnySpec
    author: str
    note: str
    created_at: datetime
    based_on: int | None
    published: bool


@dataclass(frozen=True)
class ItemSummary:
    kind: Kind
    slug: str
    name: str
    tagline_or_description: str
    latest_number: int
    published_number: int | None
    archived: bool
    language: str
    tags: tuple[str, ...]
    updated_at: datetime


class ConflictError(StudioError):
    """Someone saved a newer version than the one this edit started from."""

    def __init__(self, *, latest: VersionView, base_number: int, changes: list[FieldChange]) -> None:
        self.latest = latest
        self.base_number = base_number
        self.changes = changes
        super().__init__(
            f"version {latest.number} by {latest.author} was saved after your base version {base_number}; "
            f"it changed: {changed_fields_text(changes)}. Reload, merge your edits and save again."
        )


def _view(models: KindModels, identity: Persona | Scene, row: PersonaVersion | SceneVersion) -> VersionView:
    return VersionView(
        kind=models.kind,
        slug=identity.slug,
        number=row.number,
        spec=models.spec.model_validate_json(row.spec),
        author=row.author,
        note=row.note,
        created_at=row.created_at,
        based_on=row.based_on,
        published=identity.published_version == row.number,
    )


def _summary(models: KindModels, identity: Persona | Scene) -> ItemSummary:
    return ItemSummary(
        kind=models.kind,
        slug=identity.slug,
        name=identity.name,
        tagline_or_description=identity.summary,
        latest_number=identity.latest_number,
        published_number=identity.published_version,
        archived=identity.archived,
        language=identity.language,
        tags=tuple(tag for tag in identity.tags_text.split("|") if tag),
        updated_at=identity.updated_at,
    )


# --------------------------------------------------------------------------- helpers shared with io_formats


def validation_problem(error: ValidationError, prefix: str = "") -> str:
    """pydantic errors as 'traits.warmth: Input should be less than or equal to 1; ...'."""
    parts = []
    for item in error.errors()[:5]:
        path = prefix
        for part in item["loc"]:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        parts.append(f"{path or 'spec'}: {item['msg']}")
    more = len(error.errors()) - 5
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def coerce_spec(models: KindModels, spec: BaseModel | Mapping[str, Any]) -> AnySpec:
    """Accept the kind's spec model or a plain dict (a form); refuse the other kind's spec."""
    if isinstance(spec, models.spec):
        return spec
    if isinstance(spec, BaseModel):
        raise StudioError(f"a {type(spec).__name__} cannot be saved as a {models.label}; pass a {models.spec.__name__}")
    try:
        return models.spec.model_validate(dict(spec))
    except ValidationError as error:
        raise StudioError(f"invalid {models.label}: {validation_problem(error)}") from None


def spec_json(spec: AnySpec) -> str:
    """Canonical JSON: the same spec always gives the same text, so 'nothing changed' is a string compare."""
    return json.dumps(spec.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)


def _clean_author(author: str) -> str:
    author = (author or "").strip()
    if not author:
        raise StudioError("author is empty: sign in, or set STEPAUDIO_AUTHOR for saves from this server")
    if len(author) > 80:
        raise StudioError(f"author is {len(author)} characters long; use at most 80")
    return author


def _clean_note(note: str) -> str:
    note = (note or "").strip()
    if len(note) > 500:
        raise StudioError(f"the version note is {len(note)} characters long; shorten it to at most 500")
    return note


def find_identity(session: Session, models: KindModels, slug: str) -> Persona | Scene | None:
    return session.exec(select(models.identity).where(models.identity.slug == slug)).first()


def _identity(session: Session, models: KindModels, slug: str) -> Persona | Scene:
    identity = find_identity(session, models, slug)
    if identity is None:
        raise NotFoundError(
            f"no {models.label} with slug {slug!r}; list them with `stepaudio-ui {models.command} list`"
        )
    return identity


def _version_row(
    session: Session, models: KindModels, identity: Persona | Scene, number: int
) -> PersonaVersion | SceneVersion:
    row = session.exec(
        select(models.version).where(
            getattr(models.version, models.owner_column) == identity.id, models.version.number == number
        )
    ).first()
    if row is None:
        raise NotFoundError(
            f"{models.label} {identity.slug!r} has no version {number}; its versions are 1 to {identity.latest_number}"
        )
    return row


def unique_slug(session: Session, models: KindModels, wanted: str) -> str:
    """'ada' -> 'ada' if free, else 'ada-2', 'ada-3', ... (archived items keep their slugs)."""
    base = wanted[:58].strip("-") or models.kind
    column = models.identity.slug
    taken = set(session.exec(select(column).where(or_(column == base, column.like(f"{base}-%")))).all())
    if base not in taken:
        return base
    suffix = 2
    while f"{base}-{suffix}" in taken:
        suffix += 1
    return f"{base}-{suffix}"


def new_identity(session: Session, models: KindModels, *, spec: AnySpec, slug: str | None) -> Persona | Scene:
    if slug is not None:
        if not re.match(SLUG_PATTERN, slug):
            raise StudioError(
                f"slug {slug!r} is not valid: use lower-case letters, digits and '-', up to 63 characters"
            )
        if find_identity(session, models, slug) is not None:
            raise StudioError(f"slug {slug!r} is taken; choose another or leave it empty to derive one from the name")
    else:
        derived = slugify(spec.name) if re.search(r"[A-Za-z0-9]", spec.name) else models.kind
        slug = unique_slug(session, models, derived)
    identity = models.identity(slug=slug)
    session.add(identity)
    session.flush()
    return identity


def append_version(
    session: Session,
    models: KindModels,
    identity: Persona | Scene,
    *,
    spec: AnySpec,
    author: str,
    note: str,
    based_on: int | None,
    number: int | None = None,
    created_at: datetime | None = None,
) -> PersonaVersion | SceneVersion:
    """Insert the next version and refresh the identity's copy of the latest name/summary/tags.

    Both happen in the caller's transaction; the unique (owner, number) constraint is the last line
    of defence against two writers taking the same number.
    """
    number = number if number is not None else identity.latest_number + 1
    created_at = created_at or utc_now()
    row = models.version(number=number, spec=spec_json(spec), author=author, note=note, based_on=based_on)
    row.created_at = created_at
    setattr(row, models.owner_column, identity.id)
    session.add(row)
    if number >= identity.latest_number:
        identity.latest_number = number
        identity.name = spec.name
        identity.summary = _summary_of(spec)
        identity.language = _language_of(spec)
        identity.tags_text = "|" + "|".join(spec.tags) + "|" if spec.tags else ""
        identity.search_text = "\n".join([spec.name, identity.slug, _summary_of(spec), *spec.tags]).lower()
        identity.updated_at = created_at
    session.add(identity)
    session.flush()
    return row


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
    author, note = _clean_author(author), _clean_note(note)
    with write_transaction(session):
        identity = new_identity(session, models, spec=spec, slug=slug)
        row = append_version(session, models, identity, spec=spec, author=author, note=note or "created", based_on=None)
        view = _view(models, identity, row)
    logger.info("created %s %s v1 by %s", kind, view.slug, author)
    return view


def conflict_for(session: Session, models: KindModels, identity: Persona | Scene, base_number: int) -> ConflictError:
    latest = _view(models, identity, _version_row(session, models, identity, identity.latest_number))
    base_spec = models.spec.model_validate_json(_version_row(session, models, identity, base_number).spec)
    return ConflictError(latest=latest, base_number=base_number, changes=diff_specs(base_spec, latest.spec))


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
    author, note = _clean_author(author), _clean_note(note)
    try:
        with write_transaction(session):
            identity = _identity(session, models, slug)
            if not 1 <= base_number <= identity.latest_number:
                raise StudioError(
                    f"base version {base_number} of {models.label} {slug!r} does not exist (latest is "
                    f"{identity.latest_number}); reload the {models.label} and edit from there"
                )
            if identity.latest_number != base_number:
                raise conflict_for(session, models, identity, base_number)
            latest = _version_row(session, models, identity, base_number)
            if latest.spec == spec_json(spec):
                raise StudioError(f"nothing changed since version {base_number}; edit a field before saving")
            row = append_version(session, models, identity, spec=spec, author=author, note=note, based_on=base_number)
            view = _view(models, identity, row)
    except IntegrityError:
        # Only reachable on databases without BEGIN IMMEDIATE: the other saver took our number.
        session.rollback()
        raise conflict_for(session, models, _identity(session, models, slug), base_number) from None
    logger.info("saved %s %s v%d by %s", kind, slug, view.number, author)
    return view


def get_version(session: Session, *, kind: Kind, slug: str, number: int | None = None) -> VersionView:
    """One version; `number=None` is the latest."""
    models = kind_models(kind)
    identity = _identity(session, models, slug)
    return _view(models, identity, _version_row(session, models, identity, number or identity.latest_number))


def get_default_version(session: Session, *, kind: Kind, slug: str) -> VersionView:
    """What the live demo uses: the published version, else the latest."""
    models = kind_models(kind)
    identity = _identity(session, models, slug)
    number = identity.published_version or identity.latest_number
    return _view(models, identity, _version_row(session, models, identity, number))


def list_versions(session: Session, *, kind: Kind, slug: str) -> list[VersionView]:
    """Every version, newest first."""
    models = kind_models(kind)
    identity = _identity(session, models, slug)
    rows = session.exec(
        select(models.version)
        .where(getattr(models.version, models.owner_column) == identity.id)
        .order_by(models.version.number.desc())
    ).all()
    return [_view(models, identity, row) for row in rows]


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
    """Most recently changed first. `query` words match name, slug, tagline/description and tags."""
    models = kind_models(kind)
    if not 1 <= limit <= 500 or offset < 0:
        raise StudioError(f"page out of range (limit={limit}, offset={offset}): use limit 1-500 and offset >= 0")
    conditions = _filtered(models, query=query, tag=tag, language=language, include_archived=include_archived)
    table = models.identity
    rows = session.exec(
        select(table).where(*conditions).order_by(table.updated_at.desc(), table.id.desc()).limit(limit).offset(offset)
    ).all()
    return [_summary(models, row) for row in rows]


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


def diff_versions(session: Session, *, kind: Kind, slug: str, a: int, b: int) -> list[FieldChange]:
    """What changed from version `a` to version `b`."""
    models = kind_models(kind)
    identity = _identity(session, models, slug)
    spec_a = models.spec.model_validate_json(_version_row(session, models, identity, a).spec)
    spec_b = models.spec.model_validate_json(_version_row(session, models, identity, b).spec)
    return diff_specs(spec_a, spec_b)


def restore_version(session: Session, *, kind: Kind, slug: str, number: int, author: str) -> VersionView:
    """A new latest version with the content of version `number` (history is never rewritten)."""
    models = kind_models(kind)
    author = _clean_author(author)
    with write_transaction(session):
        identity = _identity(session, models, slug)
        old = _version_row(session, models, identity, number)
        if number == identity.latest_number:
            raise StudioError(f"version {number} is already the latest; pick an older version to restore")
        latest = _version_row(session, models, identity, identity.latest_number)
        if latest.spec == old.spec:
            raise StudioError(f"the latest version {latest.number} already has the content of version {number}")
        spec = models.spec.model_validate_json(old.spec)
        row = append_version(
            session, models, identity, spec=spec, author=author, note=f"restored from v{number}", based_on=number
        )
        view = _view(models, identity, row)
    logger.info("restored %s %s v%d as v%d", kind, slug, number, view.number)
    return view


def publish_version(session: Session, *, kind: Kind, slug: str, number: int) -> VersionView:
    """Make `number` the version the live demo uses by default."""
    models = kind_models(kind)
    with write_transaction(session):
        identity = _identity(session, models, slug)
        row = _version_row(session, models, identity, number)
        identity.published_version = number
        session.add(identity)
        session.flush()
        view = _view(models, identity, row)
    logger.info("published %s %s v%d", kind, slug, number)
    return view


def duplicate_item(session: Session, *, kind: Kind, slug: str, new_name: str, author: str) -> VersionView:
    """A new item (fresh slug, version 1) with the latest content of `slug` under `new_name`."""
    models = kind_models(kind)
    author = _clean_author(author)
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
        view = _view(models, identity, row)
    logger.info("duplicated %s %s v%d as %s", kind, slug, source.number, view.slug)
    return view


def set_archived(session: Session, *, kind: Kind, slug: str, archived: bool) -> None:
    """Archive hides an item from lists (nothing is deleted); unarchive brings it back."""
    models = kind_models(kind)
    with write_transaction(session):
        identity = _identity(session, models, slug)
        identity.archived = archived
        session.add(identity)
    logger.info("%s %s %s", "archived" if archived else "unarchived", kind, slug)


def seed_if_empty(session: Session, seed_dir: Path) -> int:
    """Load `seed_dir/personas/*.json` and `seed_dir/scenes/*.json` (our export format) into an
    empty database, in one transaction. Returns how many items were loaded; 0 once anything exists."""
    from stepaudio_ui.io_formats import load_seed_dir

    has_any = session.exec(select(Persona.id).limit(1)).first() or session.exec(select(Scene.id).limit(1)).first()
    if has_any is not None:
        return 0
    return load_seed_dir(session, Path(seed_dir))
