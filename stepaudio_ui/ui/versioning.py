"""The versioned editor shared by the Personas and Scene tones tabs: its behaviour.

One class does the library list, the form's save (with conflict detection), history, side-by-side
diff, restore, publish, duplicate, archive, export and import for either kind; a panel only
supplies its form (`SpecForm`) and its file formats. Handlers are thin: unpack, call one studio
function, map the result onto the components (laid out by `editor_layout.EditorLayout`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import gradio as gr
from pydantic import ValidationError

from stepaudio_ui import studio
from stepaudio_ui.context import AppContext
from stepaudio_ui.ui.editor_layout import EditorLayout, EditorState, FileFormat, Importer, item_label
from stepaudio_ui.ui.render import cell, describe_validation_error, rows_or_blank, status_html, user_errors
from stepaudio_ui.ui.spec_form import SpecForm

LIST_LIMIT = 50  # the list is for picking; search narrows 10,000 items down to these
STUDIO_ERRORS: tuple[type[Exception], ...] = (studio.StudioError,)

__all__ = ["EditorState", "FileFormat", "Importer", "VersionedEditor"]


class VersionedEditor(EditorLayout):
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
        super().__init__(
            ctx, form_builder=form_builder, author=author, exports=exports, singular=singular, plural=plural
        )
        self.importer = importer
        # Exports are copied into Gradio's cache when returned; this folder just holds them until exit.
        self._export_root = tempfile.TemporaryDirectory(prefix=f"stepaudio-{self.kind}-exports-")
        self._wire()

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
        filters = {
            "kind": self.kind,
            "query": query or "",
            "tag": tag or None,
            "language": language or None,
            "include_archived": bool(archived),
        }
        with self.ctx.db.session() as s:
            items = studio.list_items(s, **filters, limit=LIST_LIMIT)
            total = studio.count_items(s, **filters) if len(items) == LIST_LIMIT else len(items)
        choices = [(item_label(item), item.slug) for item in items]
        value = state.slug if any(slug == state.slug for _, slug in choices) else None
        label = (
            f"{self.plural} ({total})"
            if total <= len(items)
            else f"{self.plural} ({len(items)} of {total:,}: search to narrow)"
        )
        return gr.update(choices=choices, value=value, label=label)

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
            self.history: self._history_rows([]),
            **{dropdown: gr.update(choices=[], value=None) for dropdown in self._version_dropdowns},
            self.status: status_html(f"A new {self.singular}: edit the form, then save it as version 1."),
            **self._cleared_conflict(),
            self.items: gr.update(value=None),
        }

    @user_errors(expected=STUDIO_ERRORS)
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
            with self.ctx.db.session() as s:  # show the newer versions in the history, leave the form alone
                versions = studio.list_versions(s, kind=self.kind, slug=conflict.latest.slug)
            return self._conflict(state, conflict, versions)
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
            folder = Path(tempfile.mkdtemp(dir=self._export_root.name))  # one per export: no name clashes
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

    # ------------------------------------------------------------------------------ shared steps

    def _spec_from(self, values: tuple[Any, ...]) -> Any:
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

    def _conflict(self, state: EditorState, conflict: Any, versions: list[Any]) -> dict[Any, Any]:
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
            self.header: self._header_html(state.slug, state.base_number, versions),
            self.history: self._history_rows(versions),
            **self._version_choices(versions, keep_target=latest.number),
        }


def _author(typed: str, ctx: AppContext) -> str:
    return (typed or "").strip()[:80] or ctx.settings.author
