"""Identity and version rows of personas and scene tones, read and written inside the caller's transaction.

Finding an item by slug, taking a free slug, appending the next immutable version (and refreshing the
identity's copy of the latest name, summary and tags), and the conflict a stale base version raises.
Nothing here commits: the callers (`library`, `exchange`) wrap these in `store.write_transaction`.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlmodel import Session, or_, select

from stepaudio_ui.studio.core import (
    KINDS,
    AnySpec,
    ConflictError,
    KindModels,
    NotFoundError,
    StudioError,
    language_text,
    spec_json,
    summary_text,
    view_of,
)
from stepaudio_ui.studio.diff import diff_specs
from stepaudio_ui.studio.specs import MAX_VERSION_NUMBER, NO_SCENE, SLUG_PATTERN, slugify
from stepaudio_ui.studio.store import Persona, PersonaVersion, Scene, SceneVersion, utc_now


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
