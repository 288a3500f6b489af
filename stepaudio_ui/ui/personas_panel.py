"""The Personas tab: the persona form (every PersonaSpec field) on the shared versioned editor."""

from __future__ import annotations

import contextlib
from typing import Any

import gradio as gr

from stepaudio_ui.context import AppContext
from stepaudio_ui.studio.published_scope import listed_items
from stepaudio_ui.studio.specs import PersonaSpec
from stepaudio_ui.ui import file_formats, voice_preview
from stepaudio_ui.ui.editor_tab import editor_tab
from stepaudio_ui.ui.i18n import english, i18n, tr
from stepaudio_ui.ui.localized_load import localize, localize_blank_table
from stepaudio_ui.ui.page import Page
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

# (spec field, catalog key of its label, catalog key of its info line)
TRAITS = [
    (key, f"persona.trait.{key}", f"persona.trait.{key}.info")
    for key in ("warmth", "temper", "energy", "formality", "humor")
]
TEMPLATE_TEXTS = (("name", "persona.template.name"), ("tagline", "persona.template.tagline"),
                  ("character", "persona.template.character"))  # fmt: skip
TEMPLATE = PersonaSpec(**{field: english(key) for field, key in TEMPLATE_TEXTS})
EXAMPLE_KEYS = ("user", "assistant")


def example_headers() -> list[str]:
    return [tr("persona.examples.user"), tr("persona.examples.persona")]


def languages() -> list[tuple[str, str]]:
    """The persona language picker's choices, in the reader's language."""
    return [(tr("language.en"), "en"), (tr("language.zh_mandarin"), "zh"), (tr("persona.language.both"), "both")]


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
    return [(tr("persona.no_home_scene"), ""), *((f"{item.name} ({item.slug})", item.slug) for item in scenes)]


def refreshed_voice_choices(ctx: AppContext) -> Any:
    """New custom voices appear in the picker without a page reload (its value is left alone)."""
    return gr.update(choices=known_voices(ctx))


def build_form(ctx: AppContext) -> SpecForm:
    with gr.Row():
        name = gr.Textbox(label=i18n("persona.name"), max_length=80, scale=2)
        language = gr.Dropdown(label=i18n("persona.language"), choices=languages(), scale=1)
    localize(language, lambda: gr.update(choices=languages()))
    tagline = gr.Textbox(label=i18n("persona.tagline"), max_length=160)
    character = gr.Textbox(label=i18n("persona.character"), lines=6, max_lines=20, max_length=6000)
    greeting = gr.Textbox(label=i18n("persona.greeting"), lines=2, max_length=500)
    examples = gr.Dataframe(
        label=i18n("persona.examples"),
        headers=example_headers(),
        col_count=(2, "fixed"),
        row_count=(1, "dynamic"),
        type="array",
        interactive=True,
        wrap=True,
    )
    localize_blank_table(examples, example_headers)
    gr.Markdown(i18n("persona.examples_hint"), elem_classes="hint")
    with gr.Row():
        traits = [
            gr.Slider(0, 1, step=0.05, label=i18n(label), info=i18n(info), min_width=150)
            for _key, label, info in TRAITS
        ]
    speaking_style = gr.Textbox(label=i18n("persona.speaking_style"), lines=2, max_length=1000)
    with gr.Row(equal_height=False):
        with gr.Column(scale=1):
            voices = known_voices(ctx)
            if voices:
                voice = gr.Dropdown(label=i18n("persona.voice"), choices=voices, allow_custom_value=True)
            else:
                voice = gr.Textbox(label=i18n("persona.voice"), info=i18n("persona.voice_id_info"))
            speed = gr.Slider(0.5, 2.0, step=0.05, label=i18n("persona.speed"))
            voice_preview.build(ctx, name=name, language=language, greeting=greeting, voice=voice, speed=speed)
        voice_card = gr.Markdown(elem_id="persona-voice-card", elem_classes="voice-card")
    voice.change(lambda voice_id: voice_card_text(ctx, voice_id), [voice], [voice_card], show_progress="hidden")
    with gr.Row():
        avoid_topics = gr.Textbox(label=i18n("persona.avoid_topics"), lines=3)
        avoid_phrases = gr.Textbox(label=i18n("persona.avoid_phrases"), lines=3)
    with gr.Row():
        home_scene = gr.Dropdown(
            label=i18n("persona.home_scene"),
            choices=home_scene_choices(ctx),
            allow_custom_value=True,
            info=i18n("persona.home_scene_info"),
        )
        if ctx.db is not None:
            localize(home_scene, lambda: gr.update(choices=home_scene_choices(ctx)))
        tags = gr.Textbox(label=i18n("form.tags"))
    fields = (
        FieldBinding("name", name),
        FieldBinding("language", language),
        FieldBinding("tagline", tagline),
        FieldBinding("character", character),
        FieldBinding("greeting", greeting),
        FieldBinding("examples", examples, table_to_pairs(EXAMPLE_KEYS), pairs_to_table(EXAMPLE_KEYS, example_headers)),
        *(FieldBinding(f"traits.{key}", slider) for (key, _l, _i), slider in zip(TRAITS, traits, strict=True)),
        FieldBinding("speaking_style", speaking_style),
        FieldBinding("voice", voice),
        FieldBinding("speed", speed),
        FieldBinding("guardrails.avoid_topics", avoid_topics, lines_to_list, list_to_lines),
        FieldBinding("guardrails.avoid_phrases", avoid_phrases, lines_to_list, list_to_lines),
        FieldBinding("tags", tags, commas_to_list, list_to_commas),
        FieldBinding("home_scene", home_scene, blank_to_none, none_to_blank),
    )
    return SpecForm(
        kind="persona", spec_type=PersonaSpec, fields=fields, template=TEMPLATE, template_texts=TEMPLATE_TEXTS
    )


def build(page: Page) -> VersionedEditor:
    ctx = page.ctx
    exports, importer = file_formats.persona_exports(ctx), file_formats.importer_for(ctx, "persona")
    return editor_tab(page, "persona", lambda: build_form(ctx), exports, importer)


def voice_picker(editor: VersionedEditor) -> gr.components.Component:
    return next(binding.component for binding in editor.form.fields if binding.path == "voice")
