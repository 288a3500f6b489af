"""The History tab: past conversations, transcripts and downloads (placeholder layout)."""

from __future__ import annotations

import logging

import gradio as gr

from stepaudio_ui.context import AppContext

logger = logging.getLogger(__name__)


def build(ctx: AppContext) -> None:
    """Lay out the History tab inside the caller's Blocks/Tab context."""
    gr.Markdown("### Conversation history")
