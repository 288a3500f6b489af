"""The Live tab: talk to a persona over WebRTC (placeholder layout; the full panel follows)."""

from __future__ import annotations

import logging

import gradio as gr

from stepaudio_ui.context import AppContext

logger = logging.getLogger(__name__)


def build(ctx: AppContext) -> None:
    """Lay out the Live tab inside the caller's Blocks/Tab context."""
    gr.Markdown("### Live conversation\nPick a persona and a scene tone, then start talking.")
