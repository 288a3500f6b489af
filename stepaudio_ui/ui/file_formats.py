"""The export buttons and the import upload of the editors, on top of `stepaudio_ui.io_formats`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stepaudio_ui.context import AppContext
from stepaudio_ui.ui.versioning import FileFormat, Importer


def persona_exports(_ctx: AppContext) -> list[FileFormat]:
    return []


def scene_exports(_ctx: AppContext) -> list[FileFormat]:
    return []


def import_persona_file(_ctx: AppContext, kind: str) -> Importer:
    def importer(_session: Any, _path: Path, _author: str) -> str:
        raise NotImplementedError(kind)

    return importer
