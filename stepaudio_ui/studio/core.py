"""The shared core of the studio: kinds, errors, views, and checks of what a writer hands in.

The use cases (`library`) and the imports (`exchange`) both build on these; the rows themselves are read
and written in `item_rows`. Nothing here touches the database.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from stepaudio_ui.studio.diff import FieldChange, changed_fields_text
from stepaudio_ui.studio.specs import PersonaSpec, SceneSpec
from stepaudio_ui.studio.store import Persona, PersonaVersion, Scene, SceneVersion

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


# --------------------------------------------------------------------------- checks shared with the imports


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
