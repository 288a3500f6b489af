"""The brain picker (the embedded engine's chat model) and its card, shared by the Live tab and A/B panel.

It lists every packaged brain: the installed ones first (the default leading), then the others, each
labelled with the one command that adds it; beside it, the chosen brain's card (model, licence,
packages and hash, languages, speed). Other engines have brains of their own: the choice applies to
the embedded engine only, and the card says so.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from model.embedded.brain_choice import brain_markdown
from model.embedded.reply.brains import BRAINS, all_brains_command
from stepaudio_ui.context import AppContext
from stepaudio_ui.ui.i18n import i18n, tr
from stepaudio_ui.ui.localized_load import localize
from stepaudio_ui.voices.cards import EMBEDDED_ENGINE


def _embedded(ctx: AppContext) -> Any | None:
    return ctx.engines.get(EMBEDDED_ENGINE)


def brain_choices(ctx: AppContext) -> list[tuple[str, str]]:
    engine = _embedded(ctx)
    return engine.brain_choices() if engine is not None else []


def default_brain(ctx: AppContext) -> str | None:
    engine = _embedded(ctx)
    return engine.default_brain() if engine is not None else None


def brain_card_markdown(ctx: AppContext, brain_id: str | None) -> str:
    engine = _embedded(ctx)
    if engine is None:
        return tr("brain.card_title") + "\n\n" + tr("brain.no_engine")
    card = brain_markdown(engine.options, brain_id or engine.default_brain())
    missing = [brain for brain in BRAINS if not brain.installed()]
    if missing and engine.options.gguf_path is None and engine.options.openai_url is None:
        names = ", ".join(brain.name for brain in missing)
        card += "\n\n" + tr("brain.not_installed", names=names, command=all_brains_command())
    return card + "\n\n" + tr("brain.applies")


def add_brain_picker(ctx: AppContext, *, elem_id: str, label: Any = None) -> gr.Dropdown:
    """Lay out the picker and its card in the current Blocks context and wire the card to the choice."""
    label = label or i18n("brain.picker")
    picker = gr.Dropdown(brain_choices(ctx), value=default_brain(ctx), label=label, elem_id=elem_id)
    with gr.Accordion(i18n("brain.card"), open=False):
        card = gr.Markdown(brain_card_markdown(ctx, default_brain(ctx)), elem_id=f"{elem_id}-card")
    localize(card, lambda: brain_card_markdown(ctx, default_brain(ctx)))
    picker.change(lambda chosen: brain_card_markdown(ctx, chosen), picker, card, show_progress="hidden")
    return picker
