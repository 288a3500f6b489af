"""The versioned editor shared by the Personas and Scene tones tabs.

One class does the library list, the form's save (with conflict detection), history, side-by-side
diff, restore, publish, duplicate, archive, export and import for either kind; a panel only
supplies its form (`SpecForm`) and its file formats. Handlers are thin: unpack, call one studio
function, map the result onto the components.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import gradio as gr

from stepaudio_ui import studio
from stepaudio_ui.context import AppContext
from stepaudio_ui.ui.render import cell, rows_or_blank, status_html, user_errors, when
from stepaudio_ui.ui.spec_form import SpecForm

LIST_LIMIT = 50  # the list is for picking; search narrows 10,000 items down to these
LANGUAGE_FILTER = [("Any language", ""), ("English", "en"), ("Chinese", "zh"), ("Both", "both")]
HISTORY_HEADERS = ["Version", "Author", "Note", "Saved (UTC)", "Based on", "Published"]
STUDIO_ERRORS: tuple[type[Exception], ...] = (studio.StudioError,)


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


class VersionedEditor:
    def __init__(
        self,
        ctx: AppContext,
        *,
        form_builder: Callable[[], SpecForm],
        author: gr.Textbox,
        exports: list[FileFormat],
        importer: Importer,
        singular: str,
        plural: str,
    ) -> None:
        self.ctx = ctx
        self.author = author
        self.exports = exports
        self.importer = importer
        self.singular = singular
        self.plural = plural
        self._build_layout(form_builder)
        self.kind = self.form.kind
        self._wire()

    # ------------------------------------------------------------------------------ layout

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
                self.form = form_builder()
                with gr.Row(equal_height=True):
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
                    with gr.Row(equal_height=True):
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
                    with gr.Row(equal_height=True):
                        self.target_version = gr.Dropdown(label="Version to restore or publish", choices=[])
                        self.restore_button = gr.Button("Restore as new version")
                        self.publish_button = gr.Button("Publish version")
                with gr.Accordion("Duplicate, archive, export and import", open=False):
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
        self.outputs = [
            *self.form.components,
            *[self.state, self.header, self.history, self.version_a, self.version_b, self.target_version],
            *[self.status, self.conflict_table, self.rebase_button, self.diff_table, self.copy_name, self.note],
            self.items,
        ]

    def _wire(self) -> None:
        filter_triggers = [self.search.submit, self.tag.change, self.language.change, self.show_archived.change]
        gr.on(filter_triggers, self.refresh_list, self.filters, [self.items], trigger_mode="always_last")
        self.search.change(
            self.refresh_list, self.filters, [self.items], trigger_mode="always_last", show_progress="hidden"
        )
        self.items.input(self.open_item, [self.items], self.outputs)
        self.new_button.click(self.new_item, None, self.outputs)
        editing = [self.state, self.author]
        saved = self.save_button.click(self.save, [*editing, self.note, *self.form.components], self.outputs)
        self.rebase_button.click(self.rebase, [self.state], self.outputs)
        self.diff_button.click(self.show_diff, [self.state, self.version_a, self.version_b], [self.diff_table])
        restored = self.restore_button.click(self.restore, [*editing, self.target_version], self.outputs)
        published = self.publish_button.click(self.publish, [self.state, self.target_version], self.outputs)
        duplicated = self.duplicate_button.click(self.duplicate, [*editing, self.copy_name], self.outputs)
        archived = self.archive_button.click(self.archive, [self.state], [self.status])
        unarchived = self.unarchive_button.click(self.unarchive, [self.state], [self.status])
        for button, fmt in zip(self.export_buttons, self.exports, strict=True):
            button.click(self._exporter(fmt), [self.state], [self.export_file])
        imported = self.import_button.click(self.import_upload, [self.import_file, self.author], self.outputs)
        for event in (saved, restored, published, duplicated, archived, unarchived, imported):
            event.success(self.refresh_list, self.filters, [self.items])

    def on_page_load(self, demo: gr.Blocks) -> None:
        demo.load(self.refresh_list, self.filters, [self.items]).then(self.tag_choices, None, [self.tag])

    # ------------------------------------------------------------------------------ handlers

    @user_errors(expected=STUDIO_ERRORS)
    def refresh_list(self, query: str, tag: str, language: str, archived: bool, state: EditorState) -> Any:
        with self.ctx.db.session() as s:
            items = studio.list_items(
                s,
                kind=self.kind,
                query=query or "",
                tag=tag or None,
                language=language or None,
                include_archived=bool(archived),
                limit=LIST_LIMIT,
            )
        choices = [(_item_label(item), item.slug) for item in items]
        value = state.slug if any(slug == state.slug for _, slug in choices) else None
        return gr.update(choices=choices, value=value)

    @user_errors(expected=STUDIO_ERRORS)
    def tag_choices(self) -> Any:
        with self.ctx.db.session() as s:
            items = studio.list_items(s, kind=self.kind, include_archived=True, limit=500)
        tags = sorted({tag for item in items for tag in item.tags})
        return gr.update(choices=[("Any tag", ""), *[(tag, tag) for tag in tags]])

    @user_errors(expected=STUDIO_ERRORS)
    def open_item(self, slug: str | None) -> dict[Any, Any]:
        if not slug:
            return {}
        with self.ctx.db.session() as s:
            view = studio.get_version(s, kind=self.kind, slug=slug)
            versions = studio.list_versions(s, kind=self.kind, slug=slug)
        return self._show(view, versions, f"Opened {view.spec.name} v{view.number}.", "info")

    @user_errors(expected=STUDIO_ERRORS)
    def new_item(self) -> dict[Any, Any]:
        values = dict(zip(self.form.components, self.form.to_form(self.form.template), strict=True))
        return values | {
            self.state: EditorState(),
            self.header: self._header_html(None, None, []),
            self.history: rows_or_blank([], len(HISTORY_HEADERS)),
            **{dropdown: gr.update(choices=[], value=None) for dropdown in self._version_dropdowns},
            self.status: status_html(f"A new {self.singular}: edit the form, then save it as version 1."),
            **self._cleared_conflict(),
            self.items: gr.update(value=None),
        }

    @user_errors(expected=(studio.NotFoundError,))
    def save(self, state: EditorState, author: str, note: str, *values: Any) -> dict[Any, Any]:
        spec = self._spec_from(values)
        try:
            with self.ctx.db.session() as s:
                if state.slug is None:
                    view = studio.create_item(s, kind=self.kind, spec=spec, author=_author(author, self.ctx), note=note)
                else:
                    view = studio.save_version(
                        s,
                        kind=self.kind,
                        slug=state.slug,
                        spec=spec,
                        base_number=state.base_number,
                        author=_author(author, self.ctx),
                        note=note,
                    )
                versions = studio.list_versions(s, kind=self.kind, slug=view.slug)
        except studio.ConflictError as conflict:
            return self._conflict(state, conflict)
        shown = self._show(view, versions, f"Saved {view.spec.name} as v{view.number}.", "ok")
        return shown | {self.note: "", self.items: gr.update(value=view.slug)}

    def rebase(self, state: EditorState) -> dict[Any, Any]:
        if state.conflict_latest is None:
            return {}
        message = (
            f"Your edits are still in the form and now count as based on v{state.conflict_latest}: "
            "saving will replace the other edit's changes shown above with yours."
        )
        return {
            self.state: replace(state, base_number=state.conflict_latest, conflict_latest=None),
            self.status: status_html(message, "warn"),
            self.rebase_button: gr.update(visible=False),
        }

    @user_errors(expected=STUDIO_ERRORS)
    def show_diff(self, state: EditorState, a: int | None, b: int | None) -> list[list[str]]:
        slug = self._require_open(state)
        if a is None or b is None:
            raise gr.Error("Choose two versions to compare in 'Compare version' and 'with version'.")
        with self.ctx.db.session() as s:
            changes = studio.diff_versions(s, kind=self.kind, slug=slug, a=int(a), b=int(b))
        if not changes:
            return [["(no differences)", f"v{a}", f"v{b}"]]
        return [[change.path, cell(change.before), cell(change.after)] for change in changes]

    @user_errors(expected=STUDIO_ERRORS)
    def restore(self, state: EditorState, author: str, number: int | None) -> dict[Any, Any]:
        slug = self._require_open(state)
        number = self._require_version(number)
        with self.ctx.db.session() as s:
            view = studio.restore_version(s, kind=self.kind, slug=slug, number=number, author=_author(author, self.ctx))
            versions = studio.list_versions(s, kind=self.kind, slug=slug)
        return self._show(view, versions, f"Restored v{number} as v{view.number}.", "ok")

    @user_errors(expected=STUDIO_ERRORS)
    def publish(self, state: EditorState, number: int | None) -> dict[Any, Any]:
        slug = self._require_open(state)
        number = self._require_version(number)
        with self.ctx.db.session() as s:
            studio.publish_version(s, kind=self.kind, slug=slug, number=number)
            versions = studio.list_versions(s, kind=self.kind, slug=slug)
        message = f"Published v{number}: it is now the default in the live demo."
        return {
            self.header: self._header_html(slug, state.base_number, versions),
            self.history: self._history_rows(versions),
            self.status: status_html(message, "ok"),
            **self._version_choices(versions, keep_target=number),
        }

    @user_errors(expected=STUDIO_ERRORS)
    def duplicate(self, state: EditorState, author: str, new_name: str) -> dict[Any, Any]:
        slug = self._require_open(state)
        if not (new_name or "").strip():
            raise gr.Error("Type a name for the copy in 'Name for the copy', then press Duplicate.")
        with self.ctx.db.session() as s:
            view = studio.duplicate_item(
                s, kind=self.kind, slug=slug, new_name=new_name.strip(), author=_author(author, self.ctx)
            )
            versions = studio.list_versions(s, kind=self.kind, slug=view.slug)
        shown = self._show(view, versions, f"Duplicated as {view.spec.name} ({view.slug}).", "ok")
        return shown | {self.items: gr.update(value=view.slug)}

    @user_errors(expected=STUDIO_ERRORS)
    def archive(self, state: EditorState) -> str:
        return self._set_archived(state, True)

    @user_errors(expected=STUDIO_ERRORS)
    def unarchive(self, state: EditorState) -> str:
        return self._set_archived(state, False)

    def _set_archived(self, state: EditorState, archived: bool) -> str:
        slug = self._require_open(state)
        with self.ctx.db.session() as s:
            studio.set_archived(s, kind=self.kind, slug=slug, archived=archived)
        if archived:
            return status_html(f"Archived {slug}: hidden from the list unless 'Show archived' is ticked.", "ok")
        return status_html(f"Unarchived {slug}: back in the list.", "ok")

    def _exporter(self, fmt: FileFormat) -> Callable[[EditorState], str]:
        @user_errors(expected=STUDIO_ERRORS)
        def export(state: EditorState) -> str:
            slug = self._require_open(state)
            folder = Path(tempfile.mkdtemp(prefix="stepaudio-export-"))
            with self.ctx.db.session() as s:
                return str(fmt.write(s, slug, folder))

        export.__name__ = f"export_{fmt.label.lower().replace(' ', '_')}"
        return export

    @user_errors(expected=STUDIO_ERRORS)
    def import_upload(self, path: str | None, author: str) -> dict[Any, Any]:
        if not path:
            raise gr.Error("Choose a file in 'File to import' first (our JSON, or a Character Card JSON/PNG).")
        with self.ctx.db.session() as s:
            slug, summary = self.importer(s, Path(path), _author(author, self.ctx))
        message = f"Imported {Path(path).name}: {summary}."
        if slug is None:
            return {self.status: status_html(message + f" It held no {self.singular}: see the other tab.", "ok")}
        return self.open_item(slug) | {self.status: status_html(message, "ok")}

    # ------------------------------------------------------------------------------ helpers

    @property
    def _version_dropdowns(self) -> list[gr.Dropdown]:
        return [self.version_a, self.version_b, self.target_version]

    def _spec_from(self, values: tuple[Any, ...]) -> Any:
        from pydantic import ValidationError

        from stepaudio_ui.ui.render import describe_validation_error

        try:
            return self.form.to_spec(values)
        except ValidationError as error:
            raise gr.Error(describe_validation_error(error, self.form.labels), duration=None) from error

    def _require_open(self, state: EditorState) -> str:
        if state.slug is None:
            raise gr.Error(f"Open a {self.singular} from the list (or save the new one) first.")
        return state.slug

    @staticmethod
    def _require_version(number: int | None) -> int:
        if number is None:
            raise gr.Error("Choose a version in 'Version to restore or publish' first.")
        return int(number)

    def _show(self, view: Any, versions: list[Any], message: str, tone: str) -> dict[Any, Any]:
        values = dict(zip(self.form.components, self.form.to_form(view.spec), strict=True))
        return values | {
            self.state: EditorState(slug=view.slug, base_number=view.number),
            self.header: self._header_html(view.slug, view.number, versions),
            self.history: self._history_rows(versions),
            **self._version_choices(versions, keep_target=view.number),
            self.status: status_html(message, tone),  # type: ignore[arg-type]
            **self._cleared_conflict(),
            self.copy_name: f"{view.spec.name} (copy)",
        }

    def _conflict(self, state: EditorState, conflict: Any) -> dict[Any, Any]:
        latest = conflict.latest
        rows = [[change.path, cell(change.before), cell(change.after)] for change in conflict.changes]
        message = (
            f"Not saved: someone saved v{latest.number} ({latest.author}) after v{state.base_number}, the version "
            "you started from. Their changes are listed below; your edits are still in the form. "
            "Copy what you need, or press the button to save your edits over theirs."
        )
        return {
            self.state: replace(state, conflict_latest=latest.number),
            self.status: status_html(message, "error"),
            self.conflict_table: gr.update(value=rows_or_blank(rows, 3), visible=True),
            self.rebase_button: gr.update(visible=True, value=f"Keep my edits and save over v{latest.number}"),
        }

    def _cleared_conflict(self) -> dict[Any, Any]:
        return {
            self.conflict_table: gr.update(visible=False),
            self.rebase_button: gr.update(visible=False),
            self.diff_table: rows_or_blank([], 3),
        }

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
            for v in _newest_first(versions)
        ]
        return rows_or_blank(rows, len(HISTORY_HEADERS))

    def _version_choices(self, versions: list[Any], keep_target: int | None) -> dict[Any, Any]:
        ordered = _newest_first(versions)
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
            return status_html(f"New {self.singular}: not saved yet.", "info").replace("status ", "editor-head ")
        published = next((v.number for v in versions if v.published), None)
        latest = max((v.number for v in versions), default=base)
        text = f"{slug} · editing from v{base} · latest v{latest} · " + (
            f"published v{published}" if published else "not published yet"
        )
        return status_html(text, "info").replace("status ", "editor-head ")


def _newest_first(versions: list[Any]) -> list[Any]:
    return sorted(versions, key=lambda v: v.number, reverse=True)


def _item_label(item: Any) -> str:
    label = f"{item.name} · v{item.latest_number}"
    if item.published_number:
        label += f" · published v{item.published_number}"
    return label + (" · archived" if item.archived else "")


def _author(typed: str, ctx: AppContext) -> str:
    return (typed or "").strip()[:80] or ctx.settings.author
