"""The Scene tones tab: the scene form (every SceneSpec field) on the shared versioned editor."""

from __future__ import annotations

import gradio as gr

from stepaudio_ui.context import AppContext
from stepaudio_ui.studio.specs import SceneSpec
from stepaudio_ui.ui import file_formats
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
from stepaudio_ui.web.access import AccessPolicy

LANGUAGE_OVERRIDE = [
    ("Keep the persona's language", ""),
    ("English", "en"),
    ("Chinese (Mandarin)", "zh"),
    ("Both (the user's language)", "both"),
]
TEMPLATE = SceneSpec(name="New scene tone", description="The frame of the whole interaction.")


def build_form(_ctx: AppContext) -> SpecForm:
    with gr.Row():
        name = gr.Textbox(label="Name", max_length=80, scale=2)
        language = gr.Dropdown(label="Language override", choices=LANGUAGE_OVERRIDE, scale=1)
    description = gr.Textbox(label="Description of the frame", lines=3, max_length=1000)
    mood = gr.Textbox(label="Mood / emotional frame", max_length=300)
    context = gr.Textbox(label="Situational context", lines=2, max_length=1000, placeholder="the user is driving")
    with gr.Row():
        pacing = gr.Slider(0.5, 1.5, step=0.05, label="Pacing (speed multiplier)")
        verbosity = gr.Slider(1, 12, step=1, label="Verbosity (max sentences per reply)")
        formality = gr.Slider(0, 1, step=0.05, label="Formality", info="0 casual · 1 formal")
    with gr.Row():
        silence = gr.Slider(150, 3000, step=50, label="Silence before the reply (ms)")
        interrupt = gr.Checkbox(label="The user may interrupt")
        disclosure = gr.Checkbox(label="Require AI disclosure in the greeting")
    tags = gr.Textbox(label="Tags (comma-separated)")
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
    return SpecForm(kind="scene", spec_type=SceneSpec, fields=fields, template=TEMPLATE)


def build(ctx: AppContext, *, demo: gr.Blocks, author: gr.Textbox, policy: AccessPolicy) -> VersionedEditor:
    editor = VersionedEditor(
        ctx,
        form_builder=lambda: build_form(ctx),
        author=author,
        exports=file_formats.scene_exports(ctx),
        importer=file_formats.importer_for(ctx, "scene"),
        singular="scene tone",
        plural="Scene tones",
        policy=policy,
    )
    editor.on_page_load(demo)
    return editor
