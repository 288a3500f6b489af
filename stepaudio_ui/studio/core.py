"""The shared core of the studio: kinds, errors, views, and the version-writing primitives.

`studio` (the use cases) and `io_formats` (imports) both build on these; nothing here commits: the
callers wrap them in `store.write_transaction`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from sqlmodel import Session, or_, select

from stepaudio_ui.studio.diff import FieldChange, changed_fields_text, diff_specs
from stepaudio_ui.studio.specs import MAX_VERSION_NUMBER, NO_SCENE, SLUG_PATTERN, PersonaSpec, SceneSpec, slugify
from stepaudio_ui.studio.store import Persona, PersonaVersion, Scene, SceneVersion, utc_now

Kind = Literal["persona", "scene"]
AnySpec = PersonaSpec | SceneSpec


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


KINDS: dict[str, KindModels] = {
    "persona": KindModels("persona", "persona", "personas", Persona, PersonaVersion, "persona_id", PersonaSpec),
    "scene": KindModels("scene", "scene tone", "scenes", Scene, SceneVersion, "scene_id", SceneSpec),
}


def kind_models(kind: str) -> KindModels:
    try:
        return KINDS[kind]
    except KeyError:
        raise StudioError(f"unknown kind {kind!r}: use 'persona' or 'scene'") from None


def summary_text(spec: AnySpec) -> str:
    return spec.tagline if isinstance(spec, PersonaSpec) else spec.description


def language_text(spec: AnySpec) -> str:
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


def view_of(models: KindModels, identity: Persona | Scene, row: PersonaVersion | SceneVersion) -> VersionView:
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


def summary_of(models: KindModels, identity: Persona | Scene) -> ItemSummary:
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


def same_spec(models: KindModels, stored: str, spec: AnySpec) -> bool:
    """Whether a stored version holds `spec`. Compared through the current spec class, so a version saved
    before a field was added (its JSON lacks the field) equals the same content saved now."""
    return spec_json(models.spec.model_validate_json(stored)) == spec_json(spec)


def clean_author(author: str) -> str:
    author = (author or "").strip()
    if not author:
        raise StudioError("author is empty: sign in, or set STEPAUDIO_AUTHOR for saves from this server")
    if len(author) > 80:
        raise StudioError(f"author is {len(author)} characters long; use at most 80")
    return author


def clean_note(note: str) -> str:
    note = (note or "").strip()
    if len(note) > 500:
        raise StudioError(f"the version note is {len(note)} characters long; shorten it to at most 500")
    return note


def find_identity(session: Session, models: KindModels, slug: str) -> Persona | Scene | None:
    return session.exec(select(models.identity).where(models.identity.slug == slug)).first()


def require_identity(session: Session, models: KindModels, slug: str) -> Persona | Scene:
    identity = find_identity(session, models, slug)
    if identity is None:
        raise NotFoundError(
            f"no {models.label} with slug {slug!r}; list them with `stepaudio-ui {models.command} list`"
        )
    return identity


def check_home_scene(session: Session, spec: AnySpec) -> None:
    """A persona saved from a form or the CLI may only name a scene tone that exists (archived counts: it
    may come back). Imports skip this: a library's personas may arrive before its scenes, and a missing
    home scene only means no scene tone (see scene_choice)."""
    home = getattr(spec, "home_scene", None)
    if home and find_identity(session, KINDS["scene"], home) is None:
        raise StudioError(
            f"home scene {home!r} is not a scene tone in this library: pick one from the list "
            "(`stepaudio-ui scenes list`), or leave it empty for no scene tone"
        )


def version_row(
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


# Slugs no item of a kind may take: `?scene=none` and the pickers' "no scene tone" mean no scene at all.
RESERVED_SLUGS: dict[str, frozenset[str]] = {"scene": frozenset({NO_SCENE})}


def unique_slug(session: Session, models: KindModels, wanted: str) -> str:
    """'ada' -> 'ada' if free, else 'ada-2', 'ada-3', ... (archived items keep their slugs)."""
    base = wanted[:58].strip("-") or models.kind
    column = models.identity.slug
    taken = set(session.exec(select(column).where(or_(column == base, column.like(f"{base}-%")))).all())
    taken |= RESERVED_SLUGS.get(models.kind, frozenset())
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
        if slug in RESERVED_SLUGS.get(models.kind, frozenset()):
            raise StudioError(
                f"slug {slug!r} is reserved: it means 'no {models.label}' (as in ?scene={slug}); choose another"
            )
        if find_identity(session, models, slug) is not None:
            raise StudioError(f"slug {slug!r} is taken; choose another or leave it empty to derive one from the name")
    else:
        derived = slugify(spec.name, fallback=models.kind)
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
    if number > MAX_VERSION_NUMBER:
        raise StudioError(
            f"{models.label} {identity.slug!r} has reached the last version number ({MAX_VERSION_NUMBER:,}); "
            "duplicate it and go on editing the copy"
        )
    created_at = created_at or utc_now()
    row = models.version(number=number, spec=spec_json(spec), author=author, note=note, based_on=based_on)
    row.created_at = created_at
    setattr(row, models.owner_column, identity.id)
    session.add(row)
    if number >= identity.latest_number:
        identity.latest_number = number
        identity.name = spec.name
        identity.summary = summary_text(spec)
        identity.language = language_text(spec)
        identity.tags_text = "|" + "|".join(spec.tags) + "|" if spec.tags else ""
        identity.search_text = "\n".join([spec.name, identity.slug, summary_text(spec), *spec.tags]).lower()
        identity.updated_at = created_at
    session.add(identity)
    session.flush()
    return row


def conflict_for(session: Session, models: KindModels, identity: Persona | Scene, base_number: int) -> ConflictError:
    latest = view_of(models, identity, version_row(session, models, identity, identity.latest_number))
    base_spec = models.spec.model_validate_json(version_row(session, models, identity, base_number).spec)
    return ConflictError(latest=latest, base_number=base_number, changes=diff_specs(base_spec, latest.spec))
