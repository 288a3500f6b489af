"""The whole studio page: a short header, then one tab per panel."""

from __future__ import annotations

import html
import importlib
import logging
from collections.abc import Callable

import gradio as gr

from stepaudio_ui import package_data
from stepaudio_ui.context import AppContext
from stepaudio_ui.ui import compose_panel, language_switch, localized_load, personas_panel, scenes_panel, voices_panel
from stepaudio_ui.ui.i18n import english, i18n, tr
from stepaudio_ui.web.access import AccessPolicy, request_username

logger = logging.getLogger(__name__)

SYSTEM_FONTS = ["ui-sans-serif", "system-ui", "Segoe UI", "Noto Sans", "sans-serif"]  # no web-font download


def _theme() -> gr.themes.Base:
    # Soft's softer text (hints, info lines) is neutral-400: 2.4:1 on its light background, below the 4.5:1
    # readable minimum; neutral-600 keeps it softer than body text and readable (tests/ui/test_tour.py).
    theme = gr.themes.Soft(primary_hue="indigo", secondary_hue="sky", font=SYSTEM_FONTS)
    return theme.set(body_text_color_subdued="*neutral_600", body_text_color_subdued_dark="*neutral_400")


def _css() -> str:
    return package_data.stylesheet()


def _optional_panel(module_name: str, ctx: AppContext, policy: AccessPolicy) -> None:
    """Live and History are built by their own modules; say so on the page if one is missing."""
    try:
        module = importlib.import_module(f"stepaudio_ui.ui.{module_name}")
    except ModuleNotFoundError as error:
        if error.name != f"stepaudio_ui.ui.{module_name}":
            raise
        logger.warning("stepaudio_ui.ui.%s is not installed: its tab shows a notice", module_name)
        gr.Markdown(i18n("app.panel_missing"))
        return
    module.build(ctx, policy=policy)


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
        with gr.Tabs():
            with gr.Tab(i18n("tab.personas"), id="personas", elem_id="personas-tab"):
                personas = personas_panel.build(ctx, demo=demo, author=author, policy=policy)
            with gr.Tab(i18n("tab.scenes"), id="scenes", elem_id="scenes-tab"):
                scenes_panel.build(ctx, demo=demo, author=author, policy=policy)
            with gr.Tab(i18n("tab.compose"), id="compose", elem_id="compose-tab"):
                compose_panel.build(ctx, demo=demo, policy=policy)
            with gr.Tab(i18n("tab.live"), id="live", elem_id="live-tab"):
                _optional_panel("live_panel", ctx, policy)
            with gr.Tab(i18n("tab.history"), id="history", elem_id="history-tab"):
                _optional_panel("history_panel", ctx, policy)
            with gr.Tab(i18n("tab.voices"), id="voices", elem_id="voices-tab"):
                voices = voices_panel.build(ctx, demo=demo, author=author, policy=policy)
                picker = personas_panel.voice_picker(personas)
                if isinstance(picker, gr.Dropdown):  # a new custom voice is offered to personas at once
                    voices.saved.success(lambda: personas_panel.refreshed_voice_choices(ctx), None, [picker])
                    # Not refreshed on page load or on opening the tab: in CI, such an update to the voice
                    # picker landing while a test typed a new persona's name left the name unsaved. Voices
                    # other editors add appear after a page reload.
            with gr.Tab(i18n("tab.quality"), id="quality", elem_id="quality-tab"):
                _optional_panel("quality_panel", ctx, policy)
        demo.load(_signed_in_line(policy), None, [role_line])
        localized_load.install(demo)  # choices, table headers and the like, for a page not in English
    return demo
