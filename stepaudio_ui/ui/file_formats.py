"""The export buttons and the import upload of the editors, on top of `stepaudio_ui.exchange.formats`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stepaudio_ui.context import AppContext
from stepaudio_ui.exchange import formats as io_formats
from stepaudio_ui.ui.versioning import FileFormat, Importer

# (catalog key of the button's text, io_formats format, file suffix)
PERSONA_FORMATS = [
    ("files.export_json", "stepaudio", ".persona.json"),
    ("files.export_card_json", "chara-json", ".card.json"),
    ("files.export_card_png", "chara-png", ".card.png"),
]
SCENE_FORMATS = [("files.export_json", "stepaudio", ".scene.json")]


def _formats(kind: str, table: list[tuple[str, str, str]]) -> list[FileFormat]:
    def writer(fmt: str, suffix: str) -> Any:
        def write(session: Any, slug: str, folder: Path) -> Path:
            path = folder / f"{slug}{suffix}"
            path.write_bytes(io_formats.export_bytes(session, kind=kind, slug=slug, fmt=fmt))  # type: ignore[arg-type]
            return path

        return write

    return [FileFormat(label, writer(fmt, suffix)) for label, fmt, suffix in table]


def persona_exports(_ctx: AppContext) -> list[FileFormat]:
    return _formats("persona", PERSONA_FORMATS)


def scene_exports(_ctx: AppContext) -> list[FileFormat]:
    return _formats("scene", SCENE_FORMATS)


def importer_for(ctx: AppContext, kind: str) -> Importer:
    """Import one uploaded file (our JSON, a library, a card); returns (slug of this kind to open, summary).

    Any format is accepted in either tab: a library file fills both, and the summary says what went where.
    """

    def import_file(session: Any, path: Path, author: str) -> tuple[str | None, str]:
        io_formats.check_import_size(path.stat().st_size, ctx.settings.max_import_bytes, path.name)
        report = io_formats.import_bytes(
            session,
            path.read_bytes(),
            author=author,
            max_bytes=ctx.settings.max_import_bytes,
            source_name=path.name,
        )
        mine = [item.slug for item in report.items if item.kind == kind]
        return (mine[-1] if mine else None), report.describe().replace("\n", "; ")

    return import_file
