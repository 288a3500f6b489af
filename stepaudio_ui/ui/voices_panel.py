"""The Voices tab: every voice on offer with where it comes from, and custom voices (uploaded clips).

An editor uploads a reference WAV as a custom voice with its provenance; incomplete provenance is
allowed (the voice can be heard and previewed) but personas using it cannot be published until it
is completed here. Picking an existing custom voice loads it for completing (its clip is fixed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from stepaudio_ui.context import AppContext
from stepaudio_ui.studio.core import StudioError
from stepaudio_ui.studio.custom_voices import (
    FIELD_LABELS,
    CustomVoiceError,
    create_custom_voice,
    custom_voice_clip,
    get_custom_voice,
    list_custom_voices,
    update_custom_voice,
)
from stepaudio_ui.ui.render import status_html, user_errors
from stepaudio_ui.voices.cards import custom_card, engine_note, fallback_label
from stepaudio_ui.web.access import AccessError, AccessPolicy
from stepaudio_ui.web.downloads import download_folder, make_private

HEADERS = ["Voice id", "Name", "Languages", "Engine", "Model", "License", "Source", "Consent"]
NEW = "__new__"
LANGUAGES = [("English", "en"), ("Chinese (Mandarin)", "zh"), ("Both", "both")]
ERRORS = (StudioError, AccessError)


def voice_rows(ctx: AppContext) -> list[list[str]]:
    """Custom voices first (the ones this studio is answerable for), then every engine's own voices."""
    rows = []
    with ctx.db.session() as session:
        for custom in list_custom_voices(session):
            card = custom_card(custom, "step-audio-2-mini")
            consent = card.consent + (f" — missing: {'; '.join(custom.missing)}" if custom.missing else "")
            rows.append(
                [custom.voice_id, f"{custom.name} (custom)", custom.language, "step-audio-2-mini (clones it)",
                 card.model, card.license or "NOT ON RECORD", card.source, consent]
            )  # fmt: skip
    for engine in ctx.engines.values():
        for voice in engine.voices():
            languages = ", ".join(voice.languages)
            rows.append(
                [voice.id, voice.name, languages, engine.name, voice.model, voice.license, voice.source, voice.consent]
            )
    return rows


def custom_choices(ctx: AppContext) -> list[tuple[str, str]]:
    with ctx.db.session() as session:
        customs = list_custom_voices(session)
    return [("New custom voice (upload a clip)", NEW), *[(f"{c.name} ({c.voice_id})", c.voice_id) for c in customs]]


def card_markdown(ctx: AppContext, voice_id: str) -> str:
    with ctx.db.session() as session:
        voice = get_custom_voice(session, voice_id)
    if voice is None:
        return ""
    lines = custom_card(voice, "step-audio-2-mini").lines()[:5]
    lines += [f"Embedded engine: {engine_note('embedded')}"]
    lines.append(
        "Provenance complete: personas using this voice can be published."
        if not voice.missing
        else f"Provenance incomplete: personas using it can be previewed, not published. Missing: {'; '.join(voice.missing)}"
    )
    return "**Custom voice card**\n\n" + "\n".join(f"- {line}" for line in lines)


class VoicesPanel:
    def __init__(self, ctx: AppContext, *, author: gr.Textbox, policy: AccessPolicy) -> None:
        self.ctx, self.author, self.policy = ctx, author, policy
        gr.Markdown(
            "Voices the loaded engines offer, and custom voices uploaded here. A persona picks one in its editor. "
            "A custom voice is a reference clip: **Step-Audio 2 mini** copies its timbre; the embedded Kokoro "
            f"engine cannot clone from a clip, and speaks with its packaged voice {fallback_label()} instead."
        )
        self.table = gr.Dataframe(
            value=voice_rows(ctx), headers=HEADERS, label="Available voices", interactive=False, wrap=True,
            max_height=700, elem_id="voices-table",
        )  # fmt: skip
        with gr.Accordion("Custom voice: upload a reference clip, or complete its provenance", open=True) as self.box:
            self.picker = gr.Dropdown(label="Custom voice", choices=custom_choices(ctx), value=NEW)
            self.clip = gr.File(
                label="Reference clip (WAV, 3-30 s of one speaker, 16-48 kHz)", file_types=[".wav"],
                type="filepath", elem_classes="voice-clip",
            )  # fmt: skip
            self.preview = gr.Audio(label="Stored clip", interactive=False, visible=False, type="filepath")
            with gr.Row():
                self.name = gr.Textbox(label="Voice name", max_length=80, scale=2)
                self.language = gr.Dropdown(label="Voice language", choices=LANGUAGES, value="en", scale=1)
            self.description = gr.Textbox(label="Voice description", max_length=1000)
            gr.Markdown(
                "**Provenance.** Publishing a persona with this voice needs the source and license, and either "
                "the consent on record of the person whose voice it is, or the declaration that no person is behind it."
            )
            self.source = gr.Textbox(label=FIELD_LABELS["source"], max_length=1000)
            self.license = gr.Textbox(label=FIELD_LABELS["license"], max_length=1000)
            self.synthetic = gr.Checkbox(label="Synthetic voice: no human speaker (no consent record needed)")
            with gr.Row():
                self.speaker = gr.Textbox(label=FIELD_LABELS["consent_speaker"], max_length=200)
                self.method = gr.Textbox(label=FIELD_LABELS["consent_method"], max_length=1000)
            with gr.Row():
                self.consent_date = gr.Textbox(label=FIELD_LABELS["consent_date"], placeholder="2026-01-31")
                self.scope = gr.Textbox(label=FIELD_LABELS["consent_scope"], max_length=1000)
            self.save_button = gr.Button("Save custom voice", variant="primary")
            self.status = gr.HTML("", elem_id="voice-status")
        self.card = gr.Markdown(elem_id="custom-voice-card")
        self.fields = [self.name, self.language, self.description, self.source, self.license, self.synthetic,
                       self.speaker, self.method, self.consent_date, self.scope]  # fmt: skip
        shown = [*self.fields, self.clip, self.preview, self.card, self.status]
        self.picker.input(self.pick, [self.picker], shown)
        inputs = [self.picker, self.clip, *self.fields, self.author]
        self.saved = self.save_button.click(
            self.save, inputs, [self.picker, self.table, self.status, *shown[:-1]], api_name="custom_voice_save"
        )

    def on_page_load(self, demo: gr.Blocks) -> None:
        def courtesy(request: gr.Request) -> Any:  # the save handler refuses viewers anyway
            return gr.skip() if self.policy.can_edit(request) else gr.update(visible=False)

        demo.load(courtesy, None, [self.box])

    @user_errors(expected=ERRORS)
    def pick(self, request: gr.Request, voice_id: str) -> list[Any]:
        # The stored clip is a real person's voice: only editors (who may replace it anyway) hear it.
        self.policy.require_editor(request, "listen to a custom voice's reference clip")
        return self.picked(voice_id)

    def picked(self, voice_id: str) -> list[Any]:
        """The form filled from a custom voice, its clip as a private download (callers checked the role)."""
        if voice_id == NEW or not voice_id:
            blank: list[Any] = ["", "en", "", "", "", False, "", "", "", ""]
            return [*blank, gr.update(visible=True, value=None), gr.update(visible=False, value=None), "", ""]
        with self.ctx.db.session() as session:
            voice = get_custom_voice(session, voice_id)
            clip = custom_voice_clip(session, voice_id)
        if voice is None or clip is None:
            raise gr.Error(f"No custom voice {voice_id!r}; reload the page.")
        p = voice.provenance
        values = [voice.name, voice.language, voice.description, p.source, p.license, p.synthetic,
                  p.consent_speaker, p.consent_method, p.consent_date.isoformat() if p.consent_date else "", p.consent_scope]  # fmt: skip
        preview = self._clip_file(voice_id, voice.clip_sha256, clip)
        return [*values, gr.update(visible=False, value=None), gr.update(visible=True, value=preview),
                card_markdown(self.ctx, voice_id), ""]  # fmt: skip

    def _clip_file(self, voice_id: str, sha256: str, clip: bytes) -> str:
        path = download_folder(self.ctx.settings) / f"{voice_id}-{sha256[:16]}.wav"
        path.write_bytes(clip)
        return str(make_private([path])[0])

    @user_errors(expected=ERRORS)
    def save(self, request: gr.Request, voice_id: str, clip_path: str | None, *values: Any) -> list[Any]:
        *fields, typed_author = values
        author = self.policy.require_editor(request, "save a custom voice") or (typed_author or "").strip()
        name, language, description, source, license_, synthetic, speaker, method, when, scope = fields
        data = {
            "name": name or "", "language": language or "en", "description": description or "",
            "provenance": {
                "source": source or "", "license": license_ or "", "synthetic": bool(synthetic),
                "consent_speaker": speaker or "", "consent_method": method or "",
                "consent_date": when or "", "consent_scope": scope or "",
            },
        }  # fmt: skip
        author = author[:80] or self.ctx.settings.author
        with self.ctx.db.session() as session:
            if voice_id == NEW or not voice_id:
                view = create_custom_voice(
                    session, data=data, clip=self._read_clip(clip_path), author=author,
                    max_clip_bytes=self.ctx.settings.max_voice_clip_bytes,
                    source_name=Path(clip_path).name if clip_path else "the clip",
                )  # fmt: skip
                done = f"Saved custom voice {view.name} as {view.voice_id}."
            else:
                view = update_custom_voice(session, voice_id=voice_id, data=data, author=author)
                done = f"Updated custom voice {view.name} ({view.voice_id})."
        tone = "ok" if not view.missing else "warn"
        if view.missing:
            done += f" Provenance incomplete (missing: {'; '.join(view.missing)}): personas using it cannot be published yet."
        picked = self.picked(view.voice_id)
        choices = gr.update(choices=custom_choices(self.ctx), value=view.voice_id)
        return [choices, voice_rows(self.ctx), status_html(done, tone), *picked[:-1]]

    def _read_clip(self, clip_path: str | None) -> bytes:
        if not clip_path:
            raise CustomVoiceError("no clip uploaded: choose a WAV file under 'Reference clip' first")
        path = Path(clip_path)
        limit = self.ctx.settings.max_voice_clip_bytes
        if path.stat().st_size > limit:  # refused before reading a huge upload into memory
            raise CustomVoiceError(
                f"{path.name} is {path.stat().st_size:,} bytes, over the custom-voice limit of {limit:,} bytes; "
                "trim it to 5-15 s of mono speech, or raise STEPAUDIO_MAX_VOICE_CLIP_BYTES"
            )
        return path.read_bytes()


def build(ctx: AppContext, *, demo: gr.Blocks, author: gr.Textbox, policy: AccessPolicy) -> VoicesPanel:
    panel = VoicesPanel(ctx, author=author, policy=policy)
    panel.on_page_load(demo)
    return panel
