"""The Voices tab: the voices the loaded engines offer, with where each comes from."""

from __future__ import annotations

import gradio as gr

from stepaudio_ui.context import AppContext

HEADERS = ["Voice id", "Name", "Languages", "Engine", "Model", "License", "Source", "Consent"]


def voice_rows(ctx: AppContext) -> list[list[str]]:
    rows = []
    for engine in ctx.engines.values():
        for voice in engine.voices():
            languages = ", ".join(voice.languages)
            rows.append(
                [voice.id, voice.name, languages, engine.name, voice.model, voice.license, voice.source, voice.consent]
            )
    return rows


def build(ctx: AppContext) -> None:
    rows = voice_rows(ctx)
    if not rows:
        gr.Markdown(
            "No voice engine is loaded in this server, so there are no voices to list yet. "
            "A persona's voice is a voice id typed in its editor (for example `jf_alpha`); "
            "when an engine is configured its voices, their models, licenses and sources appear here."
        )
        return
    gr.Markdown("Voices offered by the loaded engines. A persona picks one by id in its editor.")
    gr.Dataframe(value=rows, headers=HEADERS, label="Available voices", interactive=False, wrap=True, max_height=900)
