"""The Scene tones tab: the scene form (every SceneSpec field) on the shared versioned editor."""

from __future__ import annotations

import gradio as gr

from stepaudio_ui.context import AppContext
from stepaudio_ui.studio.specs import SceneSpec
from stepaudio_ui.ui import file_formats
from stepaudio_ui.ui.editor_tab import editor_tab
from stepaudio_ui.ui.i18n import english, i18n, tr
from stepaudio_ui.ui.localized_load import localize
from stepaudio_ui.ui.page import Page
from stepaudio_ui.ui.spec_form import (
    FieldBinding,
    SpecForm,
    blank_to_none,
    commas_to_list,
    list_to_commas,
    none_to_blank,
    whole_number,
)
from stepaudio_ui.ui.versioning import VersionedEditor

TEMPLATE_TEXTS = (("name", "scene.template.name"), ("description", "scene.template.description"))
TEMPLATE = SceneSpec(**{field: english(key) for field, key in TEMPLATE_TEXTS})


def language_override() -> list[tuple[str, str]]:
    """The scene's language picker's choices, in the reader's language."""
    return [
        (tr("scene.language.keep"), ""),
        (tr("language.en"), "en"),
        (tr("language.zh_mandarin"), "zh"),
        (tr("scene.language.both"), "both"),
    ]


def build_form(_ctx: AppContext) -> SpecForm:
    with gr.Row():
        name = gr.Textbox(label=i18n("scene.name"), max_length=80, scale=2)
        language = gr.Dropdown(label=i18n("scene.language"), choices=language_override(), scale=1)
    localize(language, lambda: gr.update(choices=language_override()))
    description = gr.Textbox(label=i18n("scene.description"), lines=3, max_length=1000)
    mood = gr.Textbox(label=i18n("scene.mood"), max_length=300)
    context = gr.Textbox(label=i18n("scene.context"), lines=2, max_length=1000, placeholder=i18n("scene.context_hint"))
    with gr.Row():
        pacing = gr.Slider(0.5, 1.5, step=0.05, label=i18n("scene.pacing"))
        verbosity = gr.Slider(1, 12, step=1, label=i18n("scene.verbosity"))
        formality = gr.Slider(0, 1, step=0.05, label=i18n("scene.formality"), info=i18n("scene.formality.info"))
    with gr.Row():
        silence = gr.Slider(150, 3000, step=50, label=i18n("scene.silence"))
        interrupt = gr.Checkbox(label=i18n("scene.interrupt"))
        disclosure = gr.Checkbox(label=i18n("scene.disclosure"))
    tags = gr.Textbox(label=i18n("form.tags"))
    fields = (
        FieldBinding("name", name),
        FieldBinding("language_override", language, blank_to_none, none_to_blank),
        FieldBinding("description", description),
        FieldBinding("mood", mood),
        FieldBinding("context", context),
        FieldBinding("pacing", pacing),
        FieldBinding("verbosity", verbosity, whole_number),
        FieldBinding("formality", formality),
        FieldBinding("turn_taking.silence_ms", silence, whole_number),
        FieldBinding("turn_taking.allow_interrupt", interrupt),
        FieldBinding("tags", tags, commas_to_list, list_to_commas),
        FieldBinding("require_ai_disclosure", disclosure),
    )
    return SpecForm(kind="scene", spec_type=SceneSpec, fields=fields, template=TEMPLATE, template_texts=TEMPLATE_TEXTS)


def build(page: Page) -> VersionedEditor:
    ctx = page.ctx
    exports, importer = file_formats.scene_exports(ctx), file_formats.importer_for(ctx, "scene")
    return editor_tab(page, "scene", lambda: build_form(ctx), exports, importer)
