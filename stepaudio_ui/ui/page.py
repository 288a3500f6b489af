"""What every tab of the studio is built from: one `Page`, handed to each tab module's `build(page)`."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from stepaudio_ui.context import AppContext
from stepaudio_ui.web.access import AccessPolicy


@dataclass(frozen=True)
class Page:
    """The running app's context, the page's Blocks (for load events), the author box and who may edit."""

    ctx: AppContext
    demo: gr.Blocks
    author: gr.Textbox
    policy: AccessPolicy
