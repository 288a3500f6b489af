"""What the browser cannot translate, redone in the page's language when a page that is not in English loads.

Gradio translates `i18n()` markers in labels, info lines, placeholders and values, but not a dropdown's
choices, a table's column headers, a plot's titles or a custom component's own words. A panel registers such
a component with a function that makes its update in the current language (`localize`); `install` adds one
page-load event that applies them all. An English page gets no update at all: each would re-render a field
the reader may already be typing in. Updates only restate what the page was built with (never a form's values,
which a reader may be editing), and a page-load event is queued before anything the reader can click.
A form's editable table is the exception (`localize_blank_table`): its headers live in its value.
A fastrtc WebRTC component must not be registered: any update replaces the server's copy of it for that browser
(see `live_words`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr

from stepaudio_ui.ui.i18n import current_language

REGISTRY = "_studio_localized"  # kept on the Blocks being built: several apps may be built in one process


def localize(component: gr.components.Component, update: Callable[[], Any]) -> None:
    """Have `update()` (run in the page's language) applied to `component` when a non-English page loads."""
    root = gr.context.Context.root_block
    if root is None:  # built outside a page (a form in a test): nothing loads
        return
    if not hasattr(root, REGISTRY):
        setattr(root, REGISTRY, [])
    getattr(root, REGISTRY).append((component, update))


def install(demo: gr.Blocks) -> None:
    """The one page-load event for everything registered while `demo` was built."""
    entries: list[tuple[gr.components.Component, Callable[[], Any]]] = getattr(demo, REGISTRY, [])
    if not entries:
        return

    def localized() -> list[Any]:
        if current_language() == "en":
            return [gr.skip() for _ in entries]
        return [update() for _component, update in entries]

    demo.load(localized, None, [c for c, _update in entries], show_progress="hidden", show_api=False)


def localize_blank_table(table: gr.Dataframe, headers: Callable[[], list[str]]) -> None:
    """An editable table of a form: its headers are part of its value, which neither the browser translates nor
    `localize` may restate. On a page not in English, a table still blank when the page loads gets one blank
    row under `headers()` in the page's language; one the reader has already typed into is left alone."""
    root = gr.context.Context.root_block
    if root is None:
        return

    def localized(rows: list[list[Any]] | None) -> Any:
        if current_language() == "en" or any(str(cell or "").strip() for row in rows or [] for cell in row):
            return gr.skip()
        columns = headers()
        return {"headers": columns, "data": [["" for _column in columns]]}

    root.load(localized, [table], [table], show_progress="hidden", show_api=False)
