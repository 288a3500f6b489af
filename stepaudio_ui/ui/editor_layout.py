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
from stepaudio_ui.ui.render import rows_or_blank, status_html, when
from stepaudio_ui.ui.spec_form import SpecForm

LANGUAGE_FILTER = [("Any language", ""), ("English", "en"), ("Chinese", "zh"), ("Both", "both")]
HISTORY_HEADERS = ["Version", "Author", "Note", "Saved (UTC)", "Based on", "Published"]


@dataclass(frozen=True)
class EditorState:
    """Per browser tab: which item is open and which version the form's edits are based on."""

    slug: str | None = None
    base_number: int | None = None
    conflict_latest: int | None = None  # set while a save was refused because this version is newer


@dataclass(frozen=True)
class FileFormat:
    """One export format: a button label and a writer `(session, slug, folder) -> written file`."""

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
        singular: str,
        plural: str,
    ) -> None:
        self.ctx = ctx
        self.author = author
        self.exports = exports
        self.singular = singular
        self.plural = plural
        self._build_layout(form_builder)
        self.kind = self.form.kind

    def _build_layout(self, form_builder: Callable[[], SpecForm]) -> None:
        self.state = gr.State(EditorState())
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=260, elem_classes="library"):
                self.search = gr.Textbox(label=f"Search {self.plural.lower()}", placeholder="name, tagline or tag")
                self.tag = gr.Dropdown(label="Tag", choices=[("Any tag", "")], value="")
                self.language = gr.Dropdown(label="Language", choices=LANGUAGE_FILTER, value="")
                self.show_archived = gr.Checkbox(label="Show archived", value=False)
                self.items = gr.Radio(label=self.plural, choices=[], elem_classes="item-list")
                self.new_button = gr.Button(f"New {self.singular}", variant="secondary")
            with gr.Column(scale=3, elem_classes="editor"):
                self.header = gr.HTML(self._header_html(None, None, []))
                self.role_note = gr.HTML("", visible=False, elem_classes="role-note")
                self.form = form_builder()
                self.form.show_initially(self.form.template)
                with gr.Row(equal_height=True) as self.save_row:
                    self.note = gr.Textbox(label="Version note", placeholder="what changed and why", scale=3)
                    self.save_button = gr.Button("Save as new version", variant="primary", scale=1)
                self.status = gr.HTML("")
                self.conflict_table = gr.Dataframe(
                    headers=["Field", "Your base", "Their latest version"],
                    label="What the other edit changed",
                    elem_classes="conflict-table",
                    interactive=False,
                    visible=False,
                    wrap=True,
                )
                self.rebase_button = gr.Button("Keep my edits and save over the latest version", visible=False)
                with gr.Accordion("History and diff", open=True):
                    self.history = gr.Dataframe(
                        headers=HISTORY_HEADERS,
                        label="Version history",
                        interactive=False,
                        wrap=True,
                        elem_classes="history-table",
                    )
                    with gr.Row(equal_height=True) as self.diff_row:
                        self.version_a = gr.Dropdown(label="Compare version", choices=[])
                        self.version_b = gr.Dropdown(label="with version", choices=[])
                        self.diff_button = gr.Button("Show differences")
                    self.diff_table = gr.Dataframe(
                        headers=["Field", "Version A", "Version B"],
                        label="Differences",
                        interactive=False,
                        wrap=True,
                        elem_classes="diff-table",
                    )
                    with gr.Row(equal_height=True) as self.publish_row:
                        self.target_version = gr.Dropdown(label="Version to restore or publish", choices=[])
                        self.restore_button = gr.Button("Restore as new version")
                        self.publish_button = gr.Button("Publish version")
                with gr.Accordion("Duplicate, archive, export and import", open=False) as self.files_accordion:
                    with gr.Row(equal_height=True):
                        self.copy_name = gr.Textbox(label="Name for the copy", scale=2)
                        self.duplicate_button = gr.Button("Duplicate")
                        self.archive_button = gr.Button("Archive")
                        self.unarchive_button = gr.Button("Unarchive")
                    with gr.Row(equal_height=True):
                        self.export_buttons = [gr.Button(fmt.label) for fmt in self.exports]
                    self.export_file = gr.File(label="Exported file", interactive=False, elem_classes="export-file")
                    self.import_file = gr.File(
                        label=f"File to import ({self.singular})",
                        file_types=[".json", ".png"],
                        type="filepath",
                        elem_classes="import-file",
                    )
                    self.import_button = gr.Button("Import file")
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

    def _history_rows(self, versions: list[Any]) -> list[list[str]]:
        rows = [
            [
                f"v{v.number}",
                v.author,
                v.note or "",
                when(v.created_at),
                f"v{v.based_on}" if v.based_on else "—",
                "★ published" if v.published else "",
            ]
            for v in newest_first(versions)
        ]
        return rows_or_blank(rows, len(HISTORY_HEADERS))

    def _version_choices(self, versions: list[Any], keep_target: int | None) -> dict[Any, Any]:
        ordered = newest_first(versions)
        choices = [(f"v{v.number}" + (" (published)" if v.published else ""), v.number) for v in ordered]
        numbers = [v.number for v in ordered]
        previous = numbers[1] if len(numbers) > 1 else (numbers[0] if numbers else None)
        return {
            self.version_a: gr.update(choices=choices, value=previous),
            self.version_b: gr.update(choices=choices, value=numbers[0] if numbers else None),
            self.target_version: gr.update(choices=choices, value=keep_target),
        }

    def _header_html(self, slug: str | None, base: int | None, versions: list[Any]) -> str:
        if slug is None:
            return status_html(f"New {self.singular}: not saved yet.", "info", css_class="editor-head")
        published = next((v.number for v in versions if v.published), None)
        latest = max((v.number for v in versions), default=base)
        text = f"{slug} · editing from v{base} · latest v{latest} · " + (
            f"published v{published}" if published else "not published yet"
        )
        return status_html(text, "info", css_class="editor-head")

    def _cleared_conflict(self) -> dict[Any, Any]:
        return {
            self.conflict_table: gr.update(visible=False),
            self.rebase_button: gr.update(visible=False),
            self.diff_table: rows_or_blank([], 3),
        }


def newest_first(versions: list[Any]) -> list[Any]:
    return sorted(versions, key=lambda v: v.number, reverse=True)


def item_label(item: Any) -> str:
    label = f"{item.name} · v{item.latest_number}"
    if item.published_number:
        label += f" · published v{item.published_number}"
    return label + (" · archived" if item.archived else "")
