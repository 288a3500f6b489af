"""The Personas tab: the persona form (every PersonaSpec field) on the shared versioned editor."""

from __future__ import annotations

import contextlib
from typing import Any

import gradio as gr

from stepaudio_ui.context import AppContext
from stepaudio_ui.studio.published_scope import listed_items
from stepaudio_ui.studio.specs import PersonaSpec
from stepaudio_ui.ui import file_formats, voice_preview
from stepaudio_ui.ui.spec_form import (
    FieldBinding,
    SpecForm,
    blank_to_none,
    commas_to_list,
    lines_to_list,
    list_to_commas,
    list_to_lines,
    none_to_blank,
    pairs_to_table,
    table_to_pairs,
)
from stepaudio_ui.ui.versioning import VersionedEditor
from stepaudio_ui.voices.cards import persona_voice_markdown, voice_choices
from stepaudio_ui.web.access import AccessPolicy

LANGUAGES = [("English", "en"), ("Chinese (Mandarin)", "zh"), ("Both (answers in the user's language)", "both")]
TRAITS = [
    ("warmth", "Warmth", "0 cool and reserved · 1 warm and caring"),
    ("temper", "Temper", "0 patient and calm · 1 quick-tempered and blunt"),
    ("energy", "Energy", "0 relaxed · 1 energetic and lively"),
    ("formality", "Formality", "0 casual · 1 formal"),
    ("humor", "Humor", "0 serious · 1 playful and funny"),
]
TEMPLATE = PersonaSpec(
    name="New persona",
    tagline="One line that says who this is.",
    character="Describe who this persona is, what they know, what they want, and how they treat the user.",
)
EXAMPLE_KEYS = ("user", "assistant")


def known_voices(ctx: AppContext) -> list[tuple[str, str]]:
    """(label, id) for every voice the loaded engines offer, then the custom voices; empty when none."""
    with _session(ctx) as session:
        return voice_choices(ctx.engines, session)


def voice_card_text(ctx: AppContext, voice_id: str | None) -> str:
    """The provenance card shown beside the voice picker."""
    with _session(ctx) as session:
        return persona_voice_markdown(ctx.engines, session, voice_id)


def _session(ctx: AppContext) -> Any:
    """A store session, or None for a form built without a database (custom voices are then not listed)."""
    return contextlib.nullcontext(None) if ctx.db is None else ctx.db.session()


def home_scene_choices(ctx: AppContext) -> list[tuple[str, str]]:
    """No home scene, then the published scene tones (the list every visitor's page is built with; an
    editor may type the slug of a scene tone not published yet)."""
    with _session(ctx) as session:
        scenes = [] if session is None else listed_items(session, kind="scene", role="viewer")
    return [
        ("None: no scene tone (a neutral frame)", ""),
        *((f"{item.name} ({item.slug})", item.slug) for item in scenes),
    ]


def refreshed_voice_choices(ctx: AppContext) -> Any:
    """New custom voices appear in the picker without a page reload (its value is left alone)."""
    return gr.update(choices=known_voices(ctx))


def build_form(ctx: AppContext) -> SpecForm:
    with gr.Row():
        name = gr.Textbox(label="Name", max_length=80, scale=2)
        language = gr.Dropdown(label="Persona language", choices=LANGUAGES, scale=1)
    tagline = gr.Textbox(label="Tagline", max_length=160)
    character = gr.Textbox(label="Character / system prompt", lines=6, max_lines=20, max_length=6000)
    greeting = gr.Textbox(label="Greeting", lines=2, max_length=500)
    examples = gr.Dataframe(
        label="Example exchanges",
        headers=["User says", "Persona replies"],
        col_count=(2, "fixed"),
        row_count=(1, "dynamic"),
        type="array",
        interactive=True,
        wrap=True,
    )
    gr.Markdown("Double-click a cell to edit it; right-click a row to add or delete rows.", elem_classes="hint")
    with gr.Row():
        traits = [gr.Slider(0, 1, step=0.05, label=label, info=info, min_width=150) for _key, label, info in TRAITS]
    speaking_style = gr.Textbox(label="Speaking style", lines=2, max_length=1000)
    with gr.Row(equal_height=False):
        with gr.Column(scale=1):
            voices = known_voices(ctx)
            if voices:
                voice = gr.Dropdown(label="Voice", choices=voices, allow_custom_value=True)
            else:
                voice = gr.Textbox(label="Voice", info="Voice id, e.g. jf_alpha (no engine loaded to list voices)")
            speed = gr.Slider(0.5, 2.0, step=0.05, label="Speaking speed")
            voice_preview.build(ctx, name=name, language=language, greeting=greeting, voice=voice, speed=speed)
        voice_card = gr.Markdown(elem_id="persona-voice-card", elem_classes="voice-card")
    voice.change(lambda voice_id: voice_card_text(ctx, voice_id), [voice], [voice_card], show_progress="hidden")
    with gr.Row():
        avoid_topics = gr.Textbox(label="Topics to avoid (one per line)", lines=3)
        avoid_phrases = gr.Textbox(label="Phrases never to say (one per line)", lines=3)
    with gr.Row():
        home_scene = gr.Dropdown(
            label="Home scene tone",
            choices=home_scene_choices(ctx),
            allow_custom_value=True,
            info="The scene tone a conversation gets when none is picked (Live, /v1/realtime, checks).",
        )
        tags = gr.Textbox(label="Tags (comma-separated)")
    fields = (
        FieldBinding("name", name),
        FieldBinding("language", language),
        FieldBinding("tagline", tagline),
        FieldBinding("character", character),
        FieldBinding("greeting", greeting),
        FieldBinding("examples", examples, table_to_pairs(EXAMPLE_KEYS), pairs_to_table(EXAMPLE_KEYS)),
        *(FieldBinding(f"traits.{key}", slider) for (key, _l, _i), slider in zip(TRAITS, traits, strict=True)),
        FieldBinding("speaking_style", speaking_style),
        FieldBinding("voice", voice),
        FieldBinding("speed", speed),
        FieldBinding("guardrails.avoid_topics", avoid_topics, lines_to_list, list_to_lines),
        FieldBinding("guardrails.avoid_phrases", avoid_phrases, lines_to_list, list_to_lines),
        FieldBinding("tags", tags, commas_to_list, list_to_commas),
        FieldBinding("home_scene", home_scene, blank_to_none, none_to_blank),
    )
    return SpecForm(kind="persona", spec_type=PersonaSpec, fields=fields, template=TEMPLATE)


def build(ctx: AppContext, *, demo: gr.Blocks, author: gr.Textbox, policy: AccessPolicy) -> VersionedEditor:
    editor = VersionedEditor(
        ctx,
        form_builder=lambda: build_form(ctx),
        author=author,
        exports=file_formats.persona_exports(ctx),
        importer=file_formats.importer_for(ctx, "persona"),
        singular="persona",
        plural="Personas",
        policy=policy,
    )
    editor.on_page_load(demo)
    return editor


def voice_picker(editor: VersionedEditor) -> gr.components.Component:
    return next(binding.component for binding in editor.form.fields if binding.path == "voice")
