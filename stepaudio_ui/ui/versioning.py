"""The versioned editor shared by the Personas and Scene tones tabs: its behaviour.

One class does the form's save (with conflict detection), history, side-by-side diff, restore, publish,
duplicate, archive, export and import for either kind, on top of the library list (`library_list`); a
panel only supplies its form (`SpecForm`) and its file formats. Handlers are thin: unpack, call one
studio function, map the result onto the components (laid out by `editor_layout.EditorLayout`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import gradio as gr
from pydantic import ValidationError

from stepaudio_ui.context import AppContext
from stepaudio_ui.quality.gate import publish_checked
from stepaudio_ui.studio import library as studio
from stepaudio_ui.ui.editor_layout import CONFLICT_COLUMNS, DIFF_COLUMNS, EditorState, FileFormat, Importer, table
from stepaudio_ui.ui.i18n import english, tr
from stepaudio_ui.ui.library_list import STUDIO_ERRORS, LibraryListing
from stepaudio_ui.ui.render import cell, describe_validation_error, status_html, user_errors
from stepaudio_ui.ui.spec_form import SpecForm
from stepaudio_ui.web.access import AccessPolicy
from stepaudio_ui.web.downloads import download_folder, make_private

__all__ = ["EditorState", "FileFormat", "Importer", "VersionedEditor"]


class VersionedEditor(LibraryListing):
    def __init__(
        self,
        ctx: AppContext,
        *,
        form_builder: Callable[[], SpecForm],
        author: gr.Textbox,
        exports: list[FileFormat],
        importer: Importer,
        kind: str,
        policy: AccessPolicy,
    ) -> None:
        super().__init__(ctx, form_builder=form_builder, author=author, exports=exports, kind=kind)
        self.importer = importer
        self.policy = policy
        self._wire()

    def _wire(self) -> None:
        api = self.kind  # stable endpoint names ("persona_save"): what a gradio_client caller sees
        filter_triggers = [self.search.submit, self.tag.change, self.language.change, self.show_archived.change]
        gr.on(filter_triggers, self.refresh_list, self.filters, [self.items], trigger_mode="always_last")
        self.search.change(
            self.refresh_list, self.filters, [self.items], trigger_mode="always_last", show_progress="hidden"
        )
        self.items.input(self.open_item, [self.items], self.outputs, api_name=f"{api}_open")
        self.new_button.click(self.new_item, None, self.outputs, api_name=f"{api}_new")
        editing = [self.state, self.author]
        form = [*editing, self.note, *self.form.components]
        saved = self.save_button.click(self.save, form, self.outputs, api_name=f"{api}_save")
        self.rebase_button.click(self.rebase, [self.state], self.outputs)
        versions = [self.state, self.version_a, self.version_b]
        self.diff_button.click(self.show_diff, versions, [self.diff_table], api_name=f"{api}_diff")
        target = [*editing, self.target_version]
        restored = self.restore_button.click(self.restore, target, self.outputs, api_name=f"{api}_restore")
        chosen = [self.state, self.target_version]
        published = self.publish_button.click(self.publish, chosen, self.outputs, api_name=f"{api}_publish")
        copy = [*editing, self.copy_name]
        duplicated = self.duplicate_button.click(self.duplicate, copy, self.outputs, api_name=f"{api}_duplicate")
        archived = self.archive_button.click(self.archive, [self.state], [self.status], api_name=f"{api}_archive")
        unarchived = self.unarchive_button.click(
            self.unarchive, [self.state], [self.status], api_name=f"{api}_unarchive"
        )
        for button, fmt in zip(self.export_buttons, self.exports, strict=True):
            button.click(self._exporter(fmt), [self.state], [self.export_file])
        upload = [self.import_file, self.author]
        imported = self.import_button.click(self.import_upload, upload, self.outputs, api_name=f"{api}_import")
        for event in (saved, restored, published, duplicated, archived, unarchived, imported):
            event.success(self.refresh_list, self.filters, [self.items])

    # ------------------------------------------------------------------------------ handlers

    @user_errors(expected=STUDIO_ERRORS)
    def open_item(self, request: gr.Request, slug: str | None) -> dict[Any, Any]:
        if not slug:
            return {}
        with self.ctx.db.session() as s:
            if self.policy.can_edit(request):
                view = studio.get_version(s, kind=self.kind, slug=slug)
                versions = studio.list_versions(s, kind=self.kind, slug=slug)
            else:
                view = self._published_version(s, slug)
                versions = [view]
        return self._show(view, versions, tr("editor.opened", name=view.spec.name, number=view.number), "info")

    @user_errors(expected=STUDIO_ERRORS)
    def new_item(self, request: gr.Request) -> dict[Any, Any]:
        self.policy.require_editor(request, f"create a {self.singular}")
        values = dict(zip(self.form.components, self.form.to_form(self.form.template_for_reader()), strict=True))
        return values | {
            self.state: EditorState(),
            self.header: self._header_html(None, None, []),
            self.history: self._history_rows([]),
            **{dropdown: gr.update(choices=[], value=None) for dropdown in self._version_dropdowns},
            self.status: status_html(tr(f"editor.{self.kind}.started")),
            **self._cleared_conflict(),
            self.items: gr.update(value=None),
        }

    @user_errors(expected=STUDIO_ERRORS)
    def save(self, request: gr.Request, state: EditorState, author: str, note: str, *values: Any) -> dict[Any, Any]:
        author = self.policy.require_editor(request, f"save a {self.singular}") or author
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
        shown = self._show(view, versions, tr("editor.saved", name=view.spec.name, number=view.number), "ok")
        return shown | {self.note: "", self.items: gr.update(value=view.slug)}

    def rebase(self, state: EditorState) -> dict[Any, Any]:
        if state.conflict_latest is None:
            return {}
        message = tr("editor.rebased", number=state.conflict_latest)
        return {
            self.state: replace(state, base_number=state.conflict_latest, conflict_latest=None),
            self.status: status_html(message, "warn"),
            self.rebase_button: gr.update(visible=False),
        }

    @user_errors(expected=STUDIO_ERRORS)
    def show_diff(self, request: gr.Request, state: EditorState, a: int | None, b: int | None) -> dict[str, Any]:
        self.policy.require_editor(request, "compare versions")  # a diff shows unpublished versions
        slug = self._require_open(state)
        if a is None or b is None:
            raise gr.Error(tr("editor.choose_two"))
        with self.ctx.db.session() as s:
            changes = studio.diff_versions(s, kind=self.kind, slug=slug, a=int(a), b=int(b))
        if not changes:
            return table([[tr("editor.no_differences"), f"v{a}", f"v{b}"]], DIFF_COLUMNS)
        return table([[change.path, cell(change.before), cell(change.after)] for change in changes], DIFF_COLUMNS)

    @user_errors(expected=STUDIO_ERRORS)
    def restore(self, request: gr.Request, state: EditorState, author: str, number: int | None) -> dict[Any, Any]:
        author = self.policy.require_editor(request, "restore a version") or author
        slug = self._require_open(state)
        number = self._require_version(number)
        with self.ctx.db.session() as s:
            view = studio.restore_version(s, kind=self.kind, slug=slug, number=number, author=_author(author, self.ctx))
            versions = studio.list_versions(s, kind=self.kind, slug=slug)
        return self._show(view, versions, tr("editor.restored", number=number, new=view.number), "ok")

    @user_errors(expected=STUDIO_ERRORS)
    def publish(self, request: gr.Request, state: EditorState, number: int | None) -> dict[Any, Any]:
        self.policy.require_editor(request, "publish a version")
        slug = self._require_open(state)
        number = self._require_version(number)
        with self.ctx.db.session() as s:
            publish_checked(s, settings=self.ctx.settings, kind=self.kind, slug=slug, number=number)
            versions = studio.list_versions(s, kind=self.kind, slug=slug)
        message = tr("editor.published", number=number)
        return {
            self.header: self._header_html(slug, state.base_number, versions),
            self.history: self._history_rows(versions),
            self.status: status_html(message, "ok"),
            **self._version_choices(versions, keep_target=number),
        }

    @user_errors(expected=STUDIO_ERRORS)
    def duplicate(self, request: gr.Request, state: EditorState, author: str, new_name: str) -> dict[Any, Any]:
        author = self.policy.require_editor(request, f"duplicate a {self.singular}") or author
        slug = self._require_open(state)
        if not (new_name or "").strip():
            raise gr.Error(tr("editor.name_the_copy"))
        with self.ctx.db.session() as s:
            view = studio.duplicate_item(
                s, kind=self.kind, slug=slug, new_name=new_name.strip(), author=_author(author, self.ctx)
            )
            versions = studio.list_versions(s, kind=self.kind, slug=view.slug)
        shown = self._show(view, versions, tr("editor.duplicated", name=view.spec.name, slug=view.slug), "ok")
        return shown | {self.items: gr.update(value=view.slug)}

    @user_errors(expected=STUDIO_ERRORS)
    def archive(self, request: gr.Request, state: EditorState) -> str:
        self.policy.require_editor(request, f"archive a {self.singular}")
        return self._set_archived(state, True)

    @user_errors(expected=STUDIO_ERRORS)
    def unarchive(self, request: gr.Request, state: EditorState) -> str:
        self.policy.require_editor(request, f"unarchive a {self.singular}")
        return self._set_archived(state, False)

    def _set_archived(self, state: EditorState, archived: bool) -> str:
        slug = self._require_open(state)
        with self.ctx.db.session() as s:
            studio.set_archived(s, kind=self.kind, slug=slug, archived=archived)
        if archived:
            return status_html(tr("editor.archived_status", slug=slug), "ok")
        return status_html(tr("editor.unarchived_status", slug=slug), "ok")

    def _exporter(self, fmt: FileFormat) -> Callable[[EditorState], str]:
        @user_errors(expected=STUDIO_ERRORS)
        def export(request: gr.Request, state: EditorState) -> str:
            self.policy.require_editor(request, "export")  # exports hold every version, published or not
            slug = self._require_open(state)
            folder = download_folder(self.ctx.settings)  # one per export: no name clashes
            with self.ctx.db.session() as s:
                return str(make_private([fmt.write(s, slug, folder)])[0])

        export.__name__ = f"export_{english(fmt.label).lower().replace(' ', '_')}"  # the API's name for it
        return export

    @user_errors(expected=STUDIO_ERRORS)
    def import_upload(self, request: gr.Request, path: str | None, author: str) -> dict[Any, Any]:
        author = self.policy.require_editor(request, "import") or author
        if not path:
            raise gr.Error(tr("editor.choose_file"))
        with self.ctx.db.session() as s:
            slug, summary = self.importer(s, Path(path), _author(author, self.ctx))
        message = tr("editor.imported", file=Path(path).name, summary=summary)
        if slug is None:
            return {self.status: status_html(message + tr(f"editor.{self.kind}.none_imported"), "ok")}
        return self.open_item(request, slug) | {self.status: status_html(message, "ok")}

    # ------------------------------------------------------------------------------ shared steps

    def _spec_from(self, values: tuple[Any, ...]) -> Any:
        try:
            return self.form.to_spec(values)
        except ValidationError as error:
            raise gr.Error(describe_validation_error(error, self.form.labels), duration=None) from error

    def _require_open(self, state: EditorState) -> str:
        if state.slug is None:
            raise gr.Error(tr(f"editor.{self.kind}.open_first"))
        return state.slug

    @staticmethod
    def _require_version(number: int | None) -> int:
        if number is None:
            raise gr.Error(tr("editor.choose_version"))
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
            self.copy_name: tr("editor.copy_of", name=view.spec.name),
        }

    def _conflict(self, state: EditorState, conflict: Any, versions: list[Any]) -> dict[Any, Any]:
        latest = conflict.latest
        rows = [[change.path, cell(change.before), cell(change.after)] for change in conflict.changes]
        message = tr("editor.conflict", number=latest.number, author=latest.author, base=state.base_number)
        return {
            self.state: replace(state, conflict_latest=latest.number),
            self.status: status_html(message, "error"),
            self.conflict_table: gr.update(value=table(rows, CONFLICT_COLUMNS), visible=True),
            self.rebase_button: gr.update(visible=True, value=tr("editor.rebase_over", number=latest.number)),
            self.header: self._header_html(state.slug, state.base_number, versions),
            self.history: self._history_rows(versions),
            **self._version_choices(versions, keep_target=latest.number),
        }


def _author(typed: str, ctx: AppContext) -> str:
    return (typed or "").strip()[:80] or ctx.settings.author
