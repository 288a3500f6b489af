"""The History tab: saved conversations, a transcript view, and downloads (WAV, JSON, Markdown)."""

from __future__ import annotations

import html
import logging
from typing import Any

import gradio as gr

from stepaudio_ui.context import AppContext
from stepaudio_ui.live.history_export import export_files
from stepaudio_ui.ui import history_playback
from stepaudio_ui.ui.i18n import i18n, tr
from stepaudio_ui.ui.page import Page
from stepaudio_ui.web.access import AccessError
from stepaudio_ui.web.downloads import download_folder, make_private

logger = logging.getLogger(__name__)

LIST_LIMIT = 200
COLUMNS = ["id", "started", "persona", "scene", "engine", "turns", "ended"]  # "history.column.<name>"


def headers() -> list[str]:
    return [tr(f"history.column.{name}") for name in COLUMNS]


def conversation_rows(ctx: AppContext) -> tuple[list[list[Any]], list[tuple[str, int]]]:
    """The table rows and the picker choices, newest first."""
    from stepaudio_ui.live import conversations

    with ctx.db.session() as s:
        found = conversations.list_conversations(s, limit=LIST_LIMIT)
    rows, choices = [], []
    for item in found:
        scene = f"{item.scene_slug} v{item.scene_version}" if item.scene_slug else "-"
        ended = item.end_reason or ("-" if item.ended_at else tr("history.in_progress"))
        started = f"{item.started_at:%Y-%m-%d %H:%M:%S}"
        rows.append(
            [
                item.id,
                started,
                item.persona_label,
                scene,
                item.engine + (f" ({item.brain})" if item.brain else ""),
                item.turn_count,
                ended,
            ]
        )
        turns = tr("history.turns", count=item.turn_count)
        choices.append((f"#{item.id} · {started} · {item.persona_slug or item.persona_label} · {turns}", item.id))
    return rows, choices


def show_conversation(ctx: AppContext, conversation_id: int | None) -> tuple[list[dict[str, str]], str, list[str]]:
    """Transcript messages, a details line and the download files of one conversation."""
    from stepaudio_ui.live import conversations
    from stepaudio_ui.studio import library as studio

    if conversation_id is None:
        return [], tr("history.pick"), []
    try:
        with ctx.db.session() as s:
            view = conversations.get_conversation(s, conversation_id=int(conversation_id))
    except studio.StudioError as exc:
        raise gr.Error(tr("history.refresh_needed", error=exc)) from exc
    messages = [
        # Escaped: the Chatbot renders HTML in messages, and turn text may quote hostile persona text.
        {"role": turn.role, "content": html.escape(turn.text) + (tr("history.interrupted") if turn.interrupted else "")}
        for turn in view.turns
    ]
    summary = view.summary
    scene = f"{summary.scene_slug} v{summary.scene_version}" if summary.scene_slug else tr("scene.none")
    details = tr(
        "history.details",
        id=summary.id,
        persona=summary.persona_label,
        scene=scene,
        engine=summary.engine + (tr("history.with_brain", brain=summary.brain) if summary.brain else ""),
        started=f"{summary.started_at:%Y-%m-%d %H:%M:%S}",
        turns=tr("history.turns", count=summary.turn_count),
        end=summary.end_reason or tr("history.still_running"),
    )
    files = make_private(export_files(ctx.settings.data_dir, view, download_folder(ctx.settings)))
    return messages, details, [str(path) for path in files]


def build(page: Page) -> None:
    """Lay out the History tab inside the caller's Blocks/Tab context, and wire it."""
    ctx, policy = page.ctx, page.policy
    rows: list[list[Any]] = []  # filled on page load, for editors only
    choices: list[tuple[str, int]] = []
    note = gr.Markdown(visible=False, elem_id="history-viewer-note")
    with gr.Row():
        refresh = gr.Button(i18n("history.refresh"), scale=0, min_width=120, elem_id="history-refresh")
        picker = gr.Dropdown(choices, value=None, label=i18n("history.conversation"), scale=4, elem_id="history-picker")
    table = gr.Dataframe(
        value=rows,
        headers=headers(),
        interactive=False,
        wrap=True,
        label=i18n("history.saved"),
        elem_id="history-table",
    )
    details = gr.Markdown(i18n("history.pick"), elem_id="history-details")
    transcript = gr.Chatbot(type="messages", label=i18n("history.transcript"), height=360, elem_id="history-transcript")
    history_playback.build(ctx, policy, picker=picker, transcript=transcript)  # each turn's audio
    downloads = gr.File(
        label=i18n("history.downloads"),
        file_count="multiple",
        elem_id="history-downloads",
    )

    def reload(request: gr.Request) -> tuple[Any, Any, Any]:
        if not policy.can_edit(request):
            viewer_note = gr.update(value=tr("history.viewer_note"), visible=True)
            return gr.update(value={"headers": headers(), "data": []}), gr.update(choices=[], value=None), viewer_note
        new_rows, new_choices = conversation_rows(ctx)
        return (
            gr.update(value={"headers": headers(), "data": new_rows}),
            gr.update(choices=new_choices),
            gr.update(visible=False),
        )

    def show(request: gr.Request, conversation_id: int | None) -> tuple[list[dict[str, str]], str, list[str]]:
        if conversation_id is None:
            return [], tr("history.pick"), []
        try:
            policy.require_editor(request, "read saved conversations")
        except AccessError as error:
            raise gr.Error(str(error)) from error
        return show_conversation(ctx, conversation_id)

    refresh.click(reload, outputs=[table, picker, note], api_name="history_refresh")
    picker.change(show, inputs=picker, outputs=[transcript, details, downloads], api_name="history_show")

    def pick_row(event: gr.SelectData) -> Any:
        row = event.row_value if hasattr(event, "row_value") else None
        return gr.update(value=int(row[0])) if row else gr.update()

    table.select(pick_row, outputs=picker)
    root = gr.context.Context.root_block
    if root is not None:
        root.load(reload, outputs=[table, picker, note])
