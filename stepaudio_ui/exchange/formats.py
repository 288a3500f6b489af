"""Import and export: our own JSON (one item with all versions, or the whole library) and Character Cards.

Our format, one file per item (`format` is "stepaudio-persona" or "stepaudio-scene"):
  {"format": ..., "format_version": 1, "slug", "archived", "published_version", "created_at",
   "versions": [{"number", "spec", "author", "note", "based_on", "created_at"}, ...]}
and "stepaudio-library": {"format", "format_version", "exported_at", "personas": [...], "scenes": [...]}.

Import policy for a slug that already exists: the file's latest spec becomes ONE new version on top
(nothing is overwritten; the previous content stays restorable); if it equals the current latest,
nothing is added. A new slug gets the file's whole history (numbers, authors, notes, times,
published and archived flags), so export -> import into an empty database is lossless.
Every import is one transaction: a bad item anywhere saves nothing. Reading and checking a file, before
anything is placed, is `import_files`.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from sqlmodel import Session, select

from stepaudio_ui.exchange import chara_card, import_files
from stepaudio_ui.exchange.import_files import FORMAT_VERSION, LIBRARY_FORMAT, Expect, ItemDoc
from stepaudio_ui.exchange.voices import export_voice_card, export_voices, parse_voices, place_voices
from stepaudio_ui.studio.core import (
    ImportProblem,
    Kind,
    KindModels,
    StudioError,
    kind_models,
    same_spec,
)
from stepaudio_ui.studio.item_rows import (
    append_version,
    find_identity,
    new_identity,
)
from stepaudio_ui.studio.library import get_version, list_versions
from stepaudio_ui.studio.specs import SLUG_PATTERN, PersonaSpec
from stepaudio_ui.studio.store import Persona, Scene, write_transaction

logger = logging.getLogger(__name__)

__all__ = ["ExportFormat", "ImportProblem", "ImportReport", "ImportedItem", "export_bytes", "export_item"]
__all__ += ["check_import_size", "export_library", "import_bytes", "library_bytes", "load_seed_dir"]

ExportFormat = Literal["stepaudio", "chara-json", "chara-png"]


@dataclass(frozen=True)
class ImportedItem:
    kind: Kind
    slug: str
    action: Literal["created", "new version", "unchanged"]
    latest_number: int


@dataclass(frozen=True)
class ImportReport:
    items: tuple[ImportedItem, ...]

    def describe(self) -> str:
        return "\n".join(f"{item.kind} {item.slug}: {item.action} (v{item.latest_number})" for item in self.items)


# --------------------------------------------------------------------------- export


def export_item(session: Session, *, kind: Kind, slug: str) -> dict[str, Any]:
    """One persona / scene tone with all its versions, oldest first, in our JSON format."""
    models = kind_models(kind)
    versions = list_versions(session, kind=kind, slug=slug)
    identity = find_identity(session, models, slug)
    assert identity is not None  # list_versions raised NotFoundError otherwise
    card = {"voice_card": export_voice_card(session, versions[0].spec.voice)} if kind == "persona" else {}
    return {
        "format": f"stepaudio-{kind}",
        "format_version": FORMAT_VERSION,
        "slug": slug,
        "archived": identity.archived,
        "published_version": identity.published_version,
        "created_at": identity.created_at.isoformat(),
        "versions": [
            {
                "number": view.number,
                "author": view.author,
                "note": view.note,
                "based_on": view.based_on,
                "created_at": view.created_at.isoformat(),
                "spec": view.spec.model_dump(mode="json"),
            }
            for view in reversed(versions)
        ],
        **card,
    }


def export_library(session: Session) -> dict[str, Any]:
    """Every persona and scene tone (archived ones too) with all versions."""
    document: dict[str, Any] = {
        "format": LIBRARY_FORMAT,
        "format_version": FORMAT_VERSION,
        "exported_at": datetime.now(UTC).isoformat(),
    }
    for kind, key in (("persona", "personas"), ("scene", "scenes")):
        table = kind_models(kind).identity
        slugs = session.exec(select(table.slug).order_by(table.id)).all()
        document[key] = [export_item(session, kind=kind, slug=slug) for slug in slugs]
    document["voices"] = export_voices(session)
    return document


def _json_bytes(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def export_bytes(
    session: Session, *, kind: Kind, slug: str, fmt: ExportFormat = "stepaudio", number: int | None = None
) -> bytes:
    """File content for one item. Cards hold one version of a persona: `number`, default the latest."""
    if fmt == "stepaudio":
        return _json_bytes(export_item(session, kind=kind, slug=slug))
    if fmt not in ("chara-json", "chara-png"):
        raise StudioError(f"unknown export format {fmt!r}: use stepaudio, chara-json or chara-png")
    if kind != "persona":
        raise StudioError(
            "Character Cards hold characters, not scene tones; export scene tones with format 'stepaudio'"
        )
    view = get_version(session, kind=kind, slug=slug, number=number)
    assert isinstance(view.spec, PersonaSpec)
    card = chara_card.persona_to_card(view.spec, slug=slug, number=view.number, author=view.author)
    if fmt == "chara-json":
        return _json_bytes(card)
    return chara_card.card_to_png(card, title=view.spec.name)


def library_bytes(session: Session) -> bytes:
    return _json_bytes(export_library(session))


# --------------------------------------------------------------------------- import


def _place_item(
    session: Session, models: KindModels, item: ItemDoc, specs: list[Any], *, author: str, source_name: str
) -> ImportedItem:
    identity = find_identity(session, models, item.slug)
    if identity is None:
        identity = new_identity(session, models, spec=specs[-1], slug=item.slug)
        identity.archived = item.archived
        identity.published_version = item.published_version
        if item.created_at is not None:
            identity.created_at = item.created_at
        for version, spec in zip(item.versions, specs, strict=True):
            append_version(
                session, models, identity, spec=spec, author=version.author, note=version.note,
                based_on=version.based_on, number=version.number, created_at=version.created_at,
            )  # fmt: skip
        return ImportedItem(models.kind, item.slug, "created", identity.latest_number)
    last = item.versions[-1]
    return _add_on_top(session, models, identity, specs[-1], author=author,
                       note=f"imported from {source_name} (v{last.number} by {last.author})")  # fmt: skip


def _add_on_top(
    session: Session, models: KindModels, identity: Any, spec: Any, *, author: str, note: str
) -> ImportedItem:
    latest = session.exec(
        select(models.version).where(
            getattr(models.version, models.owner_column) == identity.id, models.version.number == identity.latest_number
        )
    ).one()
    if same_spec(models, latest.spec, spec):
        return ImportedItem(models.kind, identity.slug, "unchanged", identity.latest_number)
    append_version(
        session, models, identity, spec=spec, author=author, note=note[:500], based_on=identity.latest_number
    )
    return ImportedItem(models.kind, identity.slug, "new version", identity.latest_number)


def _place_card(
    session: Session, card: tuple[PersonaSpec, str | None, str], *, author: str, source_name: str
) -> ImportedItem:
    spec, slug_hint, note = card  # read and checked before the write transaction began
    models = kind_models("persona")
    identity = find_identity(session, models, slug_hint) if slug_hint else None
    if identity is None:
        slug = slug_hint if slug_hint and re.match(SLUG_PATTERN, slug_hint) else None
        identity = new_identity(session, models, spec=spec, slug=slug)
        append_version(session, models, identity, spec=spec, author=author, note=note, based_on=None)
        return ImportedItem("persona", identity.slug, "created", 1)
    return _add_on_top(session, models, identity, spec, author=author, note=f"{note}, {source_name}")


def check_import_size(size: int, max_bytes: int, source_name: str) -> None:
    if size > max_bytes:
        raise ImportProblem(
            f"{source_name} is {size:,} bytes, over the import limit of {max_bytes:,} bytes; "
            "import a smaller file or raise STEPAUDIO_MAX_IMPORT_BYTES"
        )


def import_bytes(
    session: Session,
    data: bytes,
    *,
    author: str,
    max_bytes: int,
    expect: Expect | None = None,
    source_name: str = "the file",
) -> ImportReport:
    """Import one file (our JSON, a library, a card as JSON or PNG). All or nothing."""
    check_import_size(len(data), max_bytes, source_name)
    if not data.strip():
        raise ImportProblem(f"{source_name} is empty; choose an exported persona, scene tone, library or card")
    document = import_files.decode(data, source_name, max_bytes=max_bytes)
    found = import_files.format_of(document, source_name)
    import_files.check_expected(found, expect, source_name)
    if found == "card":
        # All the reading and checking happens here, outside the write transaction: its lock stops every
        # other writer, so it is held only to place what is already known to be good.
        card = chara_card.card_to_persona(chara_card.card_data(document))
        with write_transaction(session):
            items = [_place_card(session, card, author=author, source_name=source_name)]
    else:
        parsed = import_files.parse_document(document, found, source_name)
        voices = parse_voices(document.get("voices", []), source_name, max_bytes) if found == "library" else []
        with write_transaction(session):
            items = [ImportedItem("voice", voice_id, action, 1) for voice_id, action in place_voices(session, voices)]  # type: ignore[arg-type]
            items += [
                _place_item(session, models, item, specs, author=author, source_name=source_name)
                for models, item, specs in parsed
            ]
    report = ImportReport(tuple(items))
    logger.info("imported %s: %s", source_name, report.describe().replace("\n", "; "))
    return report


def load_seed_dir(session: Session, seed_dir: Path) -> int:
    """Import every `personas/*.json` and `scenes/*.json` under `seed_dir` if the database is empty."""
    files = sorted((seed_dir / "personas").glob("*.json")) + sorted((seed_dir / "scenes").glob("*.json"))
    if not files:
        logger.warning("no seed files under %s; starting with an empty studio", seed_dir)
        return 0
    parsed = []
    for path in files:
        document = import_files.decode(path.read_bytes(), str(path))
        found = import_files.format_of(document, str(path))
        import_files.check_expected(found, "persona" if path.parent.name == "personas" else "scene", str(path))
        parsed.append((path, import_files.parse_item(document, str(path))))
    with write_transaction(session):
        # Re-checked under the write lock: two servers starting together must not both seed.
        if session.exec(select(Persona.id).limit(1)).first() or session.exec(select(Scene.id).limit(1)).first():
            return 0
        for path, (models, item, specs) in parsed:
            _place_item(session, models, item, specs, author="seed", source_name=str(path))
    logger.info("seeded %d items from %s", len(parsed), seed_dir)
    return len(parsed)
