"""History: play back each turn of a saved conversation, the user's words and the persona's replies.

Click a message in the transcript, or pick a turn from the list, and its stretch of the recording (see
stepaudio_ui.live.turn_audio) plays below. Only editors read saved conversations, so only they hear them.
"""

from __future__ import annotations

import logging
from typing import Any

import gradio as gr
import numpy as np

from stepaudio_ui.context import AppContext
from stepaudio_ui.live.session import conversation_audio_dir
from stepaudio_ui.live.turn_audio import TurnClip, read_clip
from stepaudio_ui.ui.i18n import i18n, tr
from stepaudio_ui.web.access import AccessError, AccessPolicy

logger = logging.getLogger(__name__)

SNIPPET_CHARS = 48


def _turns(ctx: AppContext, conversation_id: int) -> Any:
    from stepaudio_ui.live import conversations
    from stepaudio_ui.studio import library as studio

    try:
        with ctx.db.session() as s:
            return conversations.get_conversation(s, conversation_id=int(conversation_id))
    except studio.StudioError as exc:
        raise gr.Error(tr("history.refresh_needed", error=exc)) from exc


def _snippet(text: str) -> str:
    return text if len(text) <= SNIPPET_CHARS else text[: SNIPPET_CHARS - 1].rstrip() + "…"


def turn_choices(ctx: AppContext, conversation_id: int) -> list[tuple[str, int]]:
    """(label, turn index) for each turn of the conversation that has audio."""
    view = _turns(ctx, conversation_id)
    choices = []
    for turn in view.turns:
        clip = TurnClip.parse(turn.audio_path)
        if clip is not None:
            who = tr("playback.you") if turn.role == "user" else view.summary.speaker
            label = tr(
                "playback.turn", number=turn.index + 1, who=who, seconds=clip.duration_s, snippet=_snippet(turn.text)
            )
            choices.append((label, turn.index))
    return choices


def turn_audio(ctx: AppContext, conversation_id: int, turn_index: int) -> tuple[int, np.ndarray]:
    """(sample rate, samples) of one turn; gr.Error saying why when it has none."""
    view = _turns(ctx, conversation_id)
    turn = next((t for t in view.turns if t.index == int(turn_index)), None)
    clip = TurnClip.parse(turn.audio_path) if turn is not None else None
    if clip is None:
        raise gr.Error(tr("playback.typed", number=int(turn_index) + 1))
    audio = read_clip(conversation_audio_dir(ctx.settings.data_dir, view.summary.id), clip)
    if audio is None:
        raise gr.Error(tr("playback.gone"))
    return audio


def build(ctx: AppContext, policy: AccessPolicy, *, picker: gr.Dropdown, transcript: gr.Chatbot) -> None:
    """Lay out the turn picker and player where called; wire them to the conversation `picker` and `transcript`."""
    with gr.Row(equal_height=True):
        turn = gr.Dropdown([], value=None, label=i18n("playback.picker"), scale=3, elem_id="history-turn")
        player = gr.Audio(
            label=i18n("playback.player"),
            type="numpy",
            interactive=False,
            autoplay=True,
            scale=2,
            elem_id="history-turn-audio",
        )
    note = gr.Markdown(i18n("playback.hint"), elem_id="history-turn-note", elem_classes="hint")

    def require_editor(request: gr.Request) -> None:
        try:
            policy.require_editor(request, "play saved conversations")
        except AccessError as error:
            raise gr.Error(str(error)) from error

    def load_turns(request: gr.Request, conversation_id: int | None) -> tuple[Any, Any, str]:
        if conversation_id is None:
            return gr.update(choices=[], value=None), None, tr("playback.hint")
        require_editor(request)
        choices = turn_choices(ctx, conversation_id)
        return gr.update(choices=choices, value=None), None, tr("playback.hint") if choices else tr("playback.none")

    def play(request: gr.Request, conversation_id: int | None, turn_index: int | None) -> Any:
        if conversation_id is None or turn_index is None:
            return None
        require_editor(request)
        return turn_audio(ctx, conversation_id, turn_index)

    def play_message(request: gr.Request, conversation_id: int | None, event: gr.SelectData) -> tuple[Any, Any]:
        """A click on the transcript: its messages are the turns, in order."""
        index = event.index if isinstance(event.index, int) else None
        if conversation_id is None or index is None:
            return gr.skip(), gr.skip()
        return gr.update(value=index), play(request, conversation_id, index)

    picker.change(load_turns, picker, [turn, player, note], show_progress="hidden")
    turn.input(play, [picker, turn], player, api_name="history_play_turn")
    transcript.select(play_message, picker, [turn, player])
