"""The whole studio page: a short header, then one tab per panel."""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from types import ModuleType
from typing import Any

import gradio as gr

from stepaudio_ui import package_data
from stepaudio_ui.context import AppContext
from stepaudio_ui.ui import (
    compose_panel,
    history_panel,
    language_switch,
    live_panel,
    localized_load,
    personas_panel,
    quality_panel,
    scenes_panel,
    voices_panel,
)
from stepaudio_ui.ui.i18n import english, i18n, tr
from stepaudio_ui.ui.page import Page
from stepaudio_ui.web.access import AccessPolicy, request_username

logger = logging.getLogger(__name__)

# The tabs in order: each module's `build(page)` lays out its tab and wires it (one style for every tab).
TABS: tuple[tuple[str, ModuleType], ...] = (
    ("personas", personas_panel),
    ("scenes", scenes_panel),
    ("compose", compose_panel),
    ("live", live_panel),
    ("history", history_panel),
    ("voices", voices_panel),
    ("quality", quality_panel),
)
SYSTEM_FONTS = ["ui-sans-serif", "system-ui", "Segoe UI", "Noto Sans", "sans-serif"]  # no web-font download


def _theme() -> gr.themes.Base:
    # Soft's softer text (hints, info lines) is neutral-400: 2.4:1 on its light background, below the 4.5:1
    # readable minimum; neutral-600 keeps it softer than body text and readable (tests/ui/test_tour.py).
    theme = gr.themes.Soft(primary_hue="indigo", secondary_hue="sky", font=SYSTEM_FONTS)
    return theme.set(body_text_color_subdued="*neutral_600", body_text_color_subdued_dark="*neutral_400")


def _css() -> str:
    return package_data.stylesheet()


def _offer_new_voices_to_personas(ctx: AppContext, voices: Any, personas: Any) -> None:
    """A custom voice saved in the Voices tab is offered by the persona form's voice picker at once."""
    picker = personas_panel.voice_picker(personas)
    if isinstance(picker, gr.Dropdown):
        voices.saved.success(lambda: personas_panel.refreshed_voice_choices(ctx), None, [picker])
        # Not refreshed on page load or on opening the tab: in CI, such an update to the voice picker
        # landing while a test typed a new persona's name left the name unsaved. Voices other editors add
        # appear after a page reload.


def _signed_in_line(policy: AccessPolicy) -> Callable[[gr.Request], str]:
    def signed_in_line(request: gr.Request) -> str:
        if policy.read_only:
            return tr("app.read_only")
        name = request_username(request)
        who = tr("app.signed_in", name=html.escape(name)) if name else tr("app.not_signed_in")
        role = policy.role_for(request)
        return tr("app.role_line", who=who, role=tr(f"role.{role}"))

    return signed_in_line


def build_app(ctx: AppContext, policy: AccessPolicy | None = None) -> gr.Blocks:
    """The page. `policy` decides who may edit; by default the single local user of a loopback studio."""
    policy = policy or AccessPolicy(anonymous_role="editor")
    with gr.Blocks(
        title=english("app.title"),  # the browser tab: Gradio does not translate it
        theme=_theme(),
        css=_css(),
        head=language_switch.HEAD_JS,
        analytics_enabled=False,
    ) as demo:
        with gr.Row(elem_classes="app-header", equal_height=True):
            with gr.Column(scale=4):
                gr.Markdown("# " + i18n("app.title"))
                gr.Markdown(i18n("app.intro"))
                role_line = gr.Markdown("", elem_classes="role-line")
                if policy.hf_oauth:
                    gr.LoginButton()
            with gr.Column(scale=1, min_width=200):
                language_switch.build(demo)
                author = gr.Textbox(label=i18n("app.author"), value=ctx.settings.author, max_length=80)
        page = Page(ctx=ctx, demo=demo, author=author, policy=policy)
        built: dict[str, Any] = {}
        with gr.Tabs():
            for tab_id, panel in TABS:
                with gr.Tab(i18n(f"tab.{tab_id}"), id=tab_id, elem_id=f"{tab_id}-tab"):
                    built[tab_id] = panel.build(page)
        _offer_new_voices_to_personas(ctx, built["voices"], built["personas"])
        demo.load(_signed_in_line(policy), None, [role_line])
        localized_load.install(demo)  # choices, table headers and the like, for a page not in English
    return demo
