"""What an import file is: the schemas of our JSON exports, and how a file is recognised and parsed.

Nothing here touches the database: `io_formats` places what this module parsed, in one transaction.
Every problem is an `ImportProblem` that names the file, the place in it and the fix.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from stepaudio_ui.exchange import chara_card, untrusted_json
from stepaudio_ui.studio.core import ImportProblem, Kind, KindModels, kind_models, validation_problem
from stepaudio_ui.studio.specs import MAX_VERSION_NUMBER, SLUG_PATTERN

FORMAT_VERSION = 1
ITEM_FORMATS: dict[str, Kind] = {"stepaudio-persona": "persona", "stepaudio-scene": "scene"}
LIBRARY_FORMAT = "stepaudio-library"
Expect = Literal["persona", "scene", "library"]


def _utc(value: datetime | None) -> datetime | None:
    """A time without a zone in a file is taken as UTC (that is what the studio writes)."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


# Version numbers are bounded: a file with v2^63 imported fine, then every later save overflowed the column.
VersionNumber = Annotated[int, Field(ge=1, le=MAX_VERSION_NUMBER)]


class VersionDoc(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: VersionNumber
    spec: dict[str, Any]
    author: str = Field("import", min_length=1, max_length=80)
    note: str = Field("", max_length=500)
    based_on: VersionNumber | None = None
    created_at: datetime | None = None

    _created_at_utc = field_validator("created_at")(_utc)


class ItemDoc(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: Literal["stepaudio-persona", "stepaudio-scene"]
    format_version: Literal[1]
    slug: str = Field(pattern=SLUG_PATTERN)
    archived: bool = False
    published_version: VersionNumber | None = None
    created_at: datetime | None = None
    versions: list[VersionDoc] = Field(min_length=1, max_length=10_000)
    voice_card: dict[str, Any] | None = None  # derived provenance, for readers; ignored on import

    _created_at_utc = field_validator("created_at")(_utc)

    @model_validator(mode="after")
    def _numbers_make_sense(self) -> ItemDoc:
        numbers = [version.number for version in self.versions]
        if numbers != sorted(set(numbers)):
            raise ValueError(f"versions must have increasing, unique numbers; got {numbers[:20]}")
        if self.published_version is not None and self.published_version not in numbers:
            raise ValueError(f"published_version {self.published_version} is not one of the versions {numbers[:20]}")
        return self


class LibraryDoc(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: Literal["stepaudio-library"]
    format_version: Literal[1]
    exported_at: datetime | None = None
    personas: list[ItemDoc] = Field(default_factory=list)
    scenes: list[ItemDoc] = Field(default_factory=list)
    voices: list[dict[str, Any]] = Field(default_factory=list)  # custom voices with their clips (voices.exchange)


ParsedItem = tuple[KindModels, ItemDoc, list[Any]]  # the kind, the document, each version's checked spec


def decode(data: bytes, source_name: str, *, max_bytes: int | None = None) -> dict[str, Any]:
    """The JSON object in an import file; a card in a PNG may unpack to as much as an import of `max_bytes`."""
    if data.startswith(chara_card.PNG_SIGNATURE):
        limit = chara_card.png_text_limit(max_bytes) if max_bytes else chara_card.MAX_PNG_TEXT_BYTES
        return chara_card.card_from_png(data, max_text_bytes=limit)
    try:
        document = untrusted_json.loads(data.decode("utf-8-sig"), source_name)
    except UnicodeDecodeError:
        raise ImportProblem(
            f"{source_name} is neither JSON (UTF-8 text) nor a PNG; import a stepaudio export or a Character Card"
        ) from None
    except json.JSONDecodeError as error:
        raise ImportProblem(
            f"{source_name} is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg}); "
            "fix the file or export it again"
        ) from None
    if not isinstance(document, dict):
        raise ImportProblem(
            f"{source_name} holds a JSON {type(document).__name__}, but an import file is a JSON object"
        )
    return document


def format_of(document: dict[str, Any], source_name: str) -> str:
    """'persona' / 'scene' / 'library' / 'card', or ImportProblem naming what was expected."""
    if "format" in document:
        fmt = _text_marker(document, "format", source_name)
        if fmt not in ITEM_FORMATS and fmt != LIBRARY_FORMAT:
            raise ImportProblem(
                f"{source_name} has unknown format {fmt!r}; expected one of "
                f"{', '.join([*ITEM_FORMATS, LIBRARY_FORMAT])} (a file exported by this studio)"
            )
        version = document.get("format_version")
        if isinstance(version, int) and version > FORMAT_VERSION:
            raise ImportProblem(
                f"{source_name} has format_version {version}, made by a newer release; upgrade stepaudio-ui to import it"
            )
        return ITEM_FORMATS.get(fmt, "library")
    if "spec" in document:
        if _text_marker(document, "spec", source_name) not in chara_card.ACCEPTED_SPECS:
            raise ImportProblem(
                f"{source_name} is a card of spec {document['spec']!r}; only {chara_card.CARD_SPEC} (and v3) cards can be imported"
            )
        return "card"
    if "name" in document and ("first_mes" in document or "description" in document):
        return "card"  # Character Card V1: the fields at the top level
    raise ImportProblem(
        f'{source_name} is in an unknown format: expected a studio export ("format": "stepaudio-persona", '
        f'"stepaudio-scene" or "stepaudio-library") or a Character Card ("spec": "chara_card_v2"); '
        f"its top-level keys are {sorted(document)[:10]}"
    )


def _text_marker(document: dict[str, Any], key: str, source_name: str) -> str:
    """`format` / `spec`, which say what a file is: a string, or an ImportProblem naming the key."""
    value = document[key]
    if not isinstance(value, str):
        kind = {dict: "an object", list: "a list"}.get(type(value), f"a {type(value).__name__}")
        raise ImportProblem(f'{source_name}: "{key}" must be a string, not {kind}; export the file again')
    return value


def check_expected(found: str, expect: Expect | None, source_name: str) -> None:
    kind_found = "persona" if found == "card" else found
    if expect is None or kind_found == expect:
        return
    commands = {"persona": "personas import", "scene": "scenes import", "library": "library import"}
    what = {"persona": "a persona", "scene": "a scene tone", "library": "a whole library"}[kind_found]
    raise ImportProblem(f"{source_name} holds {what}; import it with `stepaudio-ui {commands[kind_found]}`")


def parse_item(document: dict[str, Any], where: str) -> ParsedItem:
    try:
        item = ItemDoc.model_validate(document)
    except ValidationError as error:
        raise ImportProblem(f"{where} does not match the export schema: {validation_problem(error)}") from None
    models = kind_models(ITEM_FORMATS[item.format])
    specs = []
    for index, version in enumerate(item.versions):
        try:
            specs.append(models.spec.model_validate(version.spec))
        except ValidationError as error:
            prefix = f"versions[{index}].spec"
            raise ImportProblem(
                f"{where} ({item.slug}) has an invalid {models.label}: {validation_problem(error, prefix)}"
            ) from None
    return models, item, specs


def parse_document(document: dict[str, Any], found: str, source_name: str) -> list[ParsedItem]:
    if found != "library":
        return [parse_item(document, source_name)]
    shallow = {key: value for key, value in document.items() if key not in ("personas", "scenes", "voices")}
    try:
        LibraryDoc.model_validate(shallow)
    except ValidationError as error:
        raise ImportProblem(f"{source_name} does not match the library schema: {validation_problem(error)}") from None
    parsed = []
    for key, kind in (("personas", "persona"), ("scenes", "scene")):
        entries = document.get(key, [])
        if not isinstance(entries, list):
            raise ImportProblem(f"{source_name}: {key} must be a list of exported items")
        for index, entry in enumerate(entries):
            where = f"{source_name} {key}[{index}]"
            if not isinstance(entry, dict) or entry.get("format") != f"stepaudio-{kind}":
                raise ImportProblem(f'{where} is not a "stepaudio-{kind}" item')
            parsed.append(parse_item(entry, where))
    return parsed
