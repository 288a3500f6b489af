"""The layout of the versioned editor (library list, form, history, diff, files) and how data is shown in it.

`EditorLayout` only builds components and turns studio results into component values; the
behaviour (event wiring and handlers) lives in `versioning.VersionedEditor`, which extends it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from stepaudio_ui.context import AppContext
from stepaudio_ui.ui.i18n import english, i18n, tr
from stepaudio_ui.ui.localized_load import localize
from stepaudio_ui.ui.render import rows_or_blank, status_html, when
from stepaudio_ui.ui.spec_form import SpecForm

HISTORY_COLUMNS = ["version", "author", "note", "saved", "based_on", "published"]
DIFF_COLUMNS = ["field", "version_a", "version_b"]
CONFLICT_COLUMNS = ["field", "your_base", "their_latest"]


def language_filter() -> list[tuple[str, str]]:
    return [(tr("editor.any_language"), ""), *((tr(f"language.{code}"), code) for code in ("en", "zh", "both"))]


def table(rows: list[list[Any]], columns: list[str]) -> dict[str, Any]:
    """A table's value with its column headers in the reader's language ("editor.column.<name>")."""
    return {"headers": [tr(f"editor.column.{name}") for name in columns], "data": rows_or_blank(rows, len(columns))}


@dataclass(frozen=True)
class EditorState:
    """Per browser tab: which item is open and which version the form's edits are based on."""

    slug: str | None = None
    base_number: int | None = None
    conflict_latest: int | None = None  # set while a save was refused because this version is newer


@dataclass(frozen=True)
class FileFormat:
    """One export format: its button's text (a key in the i18n catalogs) and a writer `(session, slug, folder) -> file`."""

    label: str
    write: Callable[[Any, str, Path], Path]


# (session, uploaded file, author) -> (slug of an item of this tab's kind to open, or None; summary)
Importer = Callable[[Any, Path, str], tuple[str | None, str]]


class EditorLayout:
    """Builds the components of one kind's editor inside the current Blocks context."""

    def __init__(
        self,
        ctx: AppContext,
        *,
        form_builder: Callable[[], SpecForm],
        author: gr.Textbox,
        exports: list[FileFormat],
        kind: str,
    ) -> None:
        self.ctx = ctx
        self.author = author
        self.exports = exports
        self.kind = kind  # "persona" or "scene": the texts are "editor.<kind>.*"
        self.singular = english(f"editor.{kind}.one")  # for the English-only access messages
        self._build_layout(form_builder)

    def _build_layout(self, form_builder: Callable[[], SpecForm]) -> None:
        self.state = gr.State(EditorState())
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=260, elem_classes="library"):
                self.search = gr.Textbox(
                    label=i18n(f"editor.{self.kind}.search"), placeholder=i18n("editor.search_hint")
                )
                self.tag = gr.Dropdown(label=i18n("editor.tag"), choices=[(tr("editor.any_tag"), "")], value="")
                self.language = gr.Dropdown(label=i18n("editor.language"), choices=language_filter(), value="")
                localize(self.language, lambda: gr.update(choices=language_filter()))
                self.show_archived = gr.Checkbox(label=i18n("editor.show_archived"), value=False)
                self.items = gr.Radio(label=i18n(f"editor.{self.kind}.many"), choices=[], elem_classes="item-list")
                self.new_button = gr.Button(i18n(f"editor.{self.kind}.new"), variant="secondary")
            with gr.Column(scale=3, elem_classes="editor"):
                self.header = gr.HTML(self._header_html(None, None, []))
                self.role_note = gr.HTML("", visible=False, elem_classes="role-note")
                self.form = form_builder()
                self.form.show_template_initially()
                with gr.Row(equal_height=True) as self.save_row:
                    self.note = gr.Textbox(label=i18n("editor.note"), placeholder=i18n("editor.note_hint"), scale=3)
                    self.save_button = gr.Button(i18n("editor.save"), variant="primary", scale=1)
                self.status = gr.HTML("")
                self.conflict_table = gr.Dataframe(
                    headers=table([], CONFLICT_COLUMNS)["headers"],
                    label=i18n("editor.conflict_table"),
                    elem_classes="conflict-table",
                    interactive=False,
                    visible=False,
                    wrap=True,
                )
                self.rebase_button = gr.Button(i18n("editor.rebase"), visible=False)
                with gr.Accordion(i18n("editor.history_and_diff"), open=True):
                    self.history = gr.Dataframe(
                        headers=table([], HISTORY_COLUMNS)["headers"],
                        label=i18n("editor.history"),
                        interactive=False,
                        wrap=True,
                        elem_classes="history-table",
                    )
                    with gr.Row(equal_height=True) as self.diff_row:
                        self.version_a = gr.Dropdown(label=i18n("editor.compare_a"), choices=[])
                        self.version_b = gr.Dropdown(label=i18n("editor.compare_b"), choices=[])
                        self.diff_button = gr.Button(i18n("editor.show_diff"))
                    self.diff_table = gr.Dataframe(
                        headers=table([], DIFF_COLUMNS)["headers"],
                        label=i18n("editor.differences"),
                        interactive=False,
                        wrap=True,
                        elem_classes="diff-table",
                    )
                    with gr.Row(equal_height=True) as self.publish_row:
                        self.target_version = gr.Dropdown(label=i18n("editor.target_version"), choices=[])
                        self.restore_button = gr.Button(i18n("editor.restore"))
                        self.publish_button = gr.Button(i18n("editor.publish"))
                with gr.Accordion(i18n("editor.files"), open=False) as self.files_accordion:
                    with gr.Row(equal_height=True):
                        self.copy_name = gr.Textbox(label=i18n("editor.copy_name"), scale=2)
                        self.duplicate_button = gr.Button(i18n("editor.duplicate"))
                        self.archive_button = gr.Button(i18n("editor.archive"))
                        self.unarchive_button = gr.Button(i18n("editor.unarchive"))
                    with gr.Row(equal_height=True):
                        self.export_buttons = [gr.Button(i18n(fmt.label)) for fmt in self.exports]
                    self.export_file = gr.File(
                        label=i18n("editor.exported_file"), interactive=False, elem_classes="export-file"
                    )
                    self.import_file = gr.File(
                        label=i18n(f"editor.{self.kind}.import_file"),
                        file_types=[".json", ".png"],
                        type="filepath",
                        elem_classes="import-file",
                    )
                    self.import_button = gr.Button(i18n("editor.import"))
        localize(self.header, lambda: self._header_html(None, None, []))
        for shown, columns in ((self.history, HISTORY_COLUMNS), (self.diff_table, DIFF_COLUMNS)):
            localize(shown, lambda columns=columns: table([], columns))
        self.filters = [self.search, self.tag, self.language, self.show_archived, self.state]
        # Hidden from viewers (a courtesy: the handlers refuse them on the server anyway).
        self.editing_controls = [
            *[self.new_button, self.show_archived, self.save_row, self.diff_row, self.diff_table],
            *[self.publish_row, self.files_accordion],
        ]
        self.outputs = [
            *self.form.components,
            *[self.state, self.header, self.history, self.version_a, self.version_b, self.target_version],
            *[self.status, self.conflict_table, self.rebase_button, self.diff_table, self.copy_name, self.note],
            self.items,
        ]

    # ------------------------------------------------------------------------------ showing data

    @property
    def _version_dropdowns(self) -> list[gr.Dropdown]:
        return [self.version_a, self.version_b, self.target_version]

    def _history_rows(self, versions: list[Any]) -> dict[str, Any]:
        rows = [
            [
                f"v{v.number}",
                v.author,
                v.note or "",
                when(v.created_at),
                f"v{v.based_on}" if v.based_on else "—",
                tr("editor.published_mark") if v.published else "",
            ]
            for v in newest_first(versions)
        ]
        return table(rows, HISTORY_COLUMNS)

    def _version_choices(self, versions: list[Any], keep_target: int | None) -> dict[Any, Any]:
        ordered = newest_first(versions)
        choices = [(version_label(v.number, v.published), v.number) for v in ordered]
        numbers = [v.number for v in ordered]
        previous = numbers[1] if len(numbers) > 1 else (numbers[0] if numbers else None)
        return {
            self.version_a: gr.update(choices=choices, value=previous),
            self.version_b: gr.update(choices=choices, value=numbers[0] if numbers else None),
            self.target_version: gr.update(choices=choices, value=keep_target),
        }

    def _header_html(self, slug: str | None, base: int | None, versions: list[Any]) -> str:
        if slug is None:
            return status_html(tr(f"editor.{self.kind}.unsaved"), "info", css_class="editor-head")
        published = next((v.number for v in versions if v.published), None)
        latest = max((v.number for v in versions), default=base)
        state = tr("editor.published_v", number=published) if published else tr("editor.not_published")
        text = tr("editor.header", slug=slug, base=base, latest=latest, state=state)
        return status_html(text, "info", css_class="editor-head")

    def _cleared_conflict(self) -> dict[Any, Any]:
        return {
            self.conflict_table: gr.update(visible=False),
            self.rebase_button: gr.update(visible=False),
            self.diff_table: table([], DIFF_COLUMNS),
        }


def newest_first(versions: list[Any]) -> list[Any]:
    return sorted(versions, key=lambda v: v.number, reverse=True)


def version_label(number: int, published: bool) -> str:
    """A version in a picker: "v3", or "v3 (published)"."""
    return tr("editor.version_published", number=number) if published else f"v{number}"


def item_label(item: Any) -> str:
    label = f"{item.name} · v{item.latest_number}"
    if item.published_number:
        label += " · " + tr("editor.published_v", number=item.published_number)
    return label + (" · " + tr("editor.archived") if item.archived else "")
