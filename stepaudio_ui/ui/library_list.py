"""The library side of a versioned editor: the filtered list, tag choices and what each role may see.

Viewers see published items only, at their published version, and a read-only form; editors see every
item and version. `VersionedEditor` adds the editing handlers on top.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from stepaudio_ui.studio import library as studio
from stepaudio_ui.studio.published_scope import published_items
from stepaudio_ui.ui.editor_layout import EditorLayout, EditorState, item_label
from stepaudio_ui.ui.i18n import tr
from stepaudio_ui.ui.render import status_html, user_errors
from stepaudio_ui.web.access import AccessError, AccessPolicy

LIST_LIMIT = 50  # the list is for picking; search narrows 10,000 items down to these
STUDIO_ERRORS: tuple[type[Exception], ...] = (studio.StudioError, AccessError)


class LibraryListing(EditorLayout):
    """Needs `policy` (set by the subclass before wiring) on top of the layout's components."""

    policy: AccessPolicy

    def on_page_load(self, demo: gr.Blocks) -> None:
        loaded = demo.load(self.refresh_list, self.filters, [self.items]).then(self.tag_choices, None, [self.tag])
        loaded.then(self.show_role, None, [*self.form.components, *self.editing_controls, self.role_note])

    def show_role(self, request: gr.Request) -> list[Any]:
        """A courtesy for viewers: editing controls hidden, the form read-only. The handlers enforce it."""
        if self.policy.can_edit(request):
            # No update at all: even an `interactive` one re-renders a field and can undo what an
            # editor typed while the page was still loading.
            return [gr.skip() for _ in [*self.form.components, *self.editing_controls, self.role_note]]
        note = status_html(tr(f"editor.{self.kind}.viewer_note"), "info")
        return [
            *[gr.update(interactive=False) for _ in self.form.components],
            *[gr.update(visible=False) for _ in self.editing_controls],
            gr.update(value=note, visible=True),
        ]

    @user_errors(expected=STUDIO_ERRORS)
    def refresh_list(
        self, request: gr.Request, query: str, tag: str, language: str, archived: bool, state: EditorState
    ) -> Any:
        editor = self.policy.can_edit(request)
        filters = {
            "kind": self.kind,
            "query": query or "",
            "tag": tag or None,
            "language": language or None,
            "include_archived": bool(archived) and editor,
        }
        with self.ctx.db.session() as s:
            if editor:
                items = studio.list_items(s, **filters, limit=LIST_LIMIT)
                total = studio.count_items(s, **filters) if len(items) == LIST_LIMIT else len(items)
            else:  # viewers: published items as their published version describes them, drafts unseen
                del filters["include_archived"]
                items, total = published_items(s, **filters, limit=LIST_LIMIT)
        choices = [(item_label(item), item.slug) for item in items]
        value = state.slug if any(slug == state.slug for _, slug in choices) else None
        label = (
            tr(f"editor.{self.kind}.count", total=total)
            if total <= len(items)
            else tr(f"editor.{self.kind}.count_of", shown=len(items), total=f"{total:,}")
        )
        return gr.update(choices=choices, value=value, label=label)

    @user_errors(expected=STUDIO_ERRORS)
    def tag_choices(self, request: gr.Request) -> Any:
        editor = self.policy.can_edit(request)
        with self.ctx.db.session() as s:
            if editor:
                items = studio.list_items(s, kind=self.kind, include_archived=True, limit=500)
            else:  # the tags of published versions: a draft's new tag is not shown to viewers
                items = published_items(s, kind=self.kind)[0]
        tags = sorted({tag for item in items for tag in item.tags})
        return gr.update(choices=[(tr("editor.any_tag"), ""), *[(tag, tag) for tag in tags]])

    def _published_version(self, session: Any, slug: str) -> Any:
        """What a viewer may see of an item: its published version; unpublished items look absent."""
        view = studio.get_default_version(session, kind=self.kind, slug=slug)
        if not view.published:
            raise studio.NotFoundError(tr(f"editor.{self.kind}.not_published", slug=slug))
        return view
