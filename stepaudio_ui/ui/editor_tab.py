"""The Personas and Scene tones tabs: one versioned editor each, over that kind's form and file formats."""

from __future__ import annotations

from collections.abc import Callable

from stepaudio_ui.ui.editor_layout import FileFormat, Importer
from stepaudio_ui.ui.page import Page
from stepaudio_ui.ui.spec_form import SpecForm
from stepaudio_ui.ui.versioning import VersionedEditor


def editor_tab(
    page: Page, kind: str, form_builder: Callable[[], SpecForm], exports: list[FileFormat], importer: Importer
) -> VersionedEditor:
    """The Personas or Scene tones tab: the shared versioned editor over one kind's form and file formats."""
    editor = VersionedEditor(
        page.ctx,
        form_builder=form_builder,
        author=page.author,
        exports=exports,
        importer=importer,
        kind=kind,
        policy=page.policy,
    )
    editor.on_page_load(page.demo)
    return editor
