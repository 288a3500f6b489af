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
    CustomVoiceError,
    create_custom_voice,
    custom_voice_clip,
    get_custom_voice,
    list_custom_voices,
    update_custom_voice,
)
from stepaudio_ui.ui.i18n import i18n, tr
from stepaudio_ui.ui.localized_load import localize
from stepaudio_ui.ui.page import Page
from stepaudio_ui.ui.render import status_html, user_errors
from stepaudio_ui.voices.cards import custom_card, engine_note, fallback_label
from stepaudio_ui.web.access import AccessError, AccessPolicy
from stepaudio_ui.web.downloads import download_folder, make_private

COLUMNS = ["voice_id", "name", "languages", "engine", "model", "license", "source", "consent"]
NEW = "__new__"
ERRORS = (StudioError, AccessError)


def languages() -> list[tuple[str, str]]:
    return [(tr("language.en"), "en"), (tr("language.zh_mandarin"), "zh"), (tr("language.both"), "both")]


def voice_table(ctx: AppContext) -> dict[str, Any]:
    """The voices table with its headers in the reader's language."""
    return {"headers": [tr(f"voices.column.{name}") for name in COLUMNS], "data": voice_rows(ctx)}


def voice_rows(ctx: AppContext) -> list[list[str]]:
    """Custom voices first (the ones this studio is answerable for), then every engine's own voices."""
    rows = []
    with ctx.db.session() as session:
        for custom in list_custom_voices(session):
            card = custom_card(custom, "step-audio-2-mini")
            consent = card.consent + (tr("voices.missing", fields="; ".join(custom.missing)) if custom.missing else "")
            rows.append(
                [custom.voice_id, tr("voices.custom_name", name=custom.name), custom.language,
                 tr("voices.clones_it", engine="step-audio-2-mini"), card.model,
                 card.license or tr("voices.no_license"), card.source, consent]
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
    return [(tr("voices.new"), NEW), *[(f"{c.name} ({c.voice_id})", c.voice_id) for c in customs]]


def card_markdown(ctx: AppContext, voice_id: str) -> str:
    with ctx.db.session() as session:
        voice = get_custom_voice(session, voice_id)
    if voice is None:
        return ""
    lines = custom_card(voice, "step-audio-2-mini").lines()[:5]
    lines += [tr("voices.embedded_note", note=engine_note("embedded"))]
    lines.append(
        tr("voices.complete") if not voice.missing else tr("voices.incomplete", fields="; ".join(voice.missing))
    )
    return tr("voices.card_title") + "\n\n" + "\n".join(f"- {line}" for line in lines)


class VoicesPanel:
    def __init__(self, ctx: AppContext, *, author: gr.Textbox, policy: AccessPolicy) -> None:
        self.ctx, self.author, self.policy = ctx, author, policy
        intro = gr.Markdown(tr("voices.intro", fallback=fallback_label()))
        localize(intro, lambda: tr("voices.intro", fallback=fallback_label()))
        self.table = gr.Dataframe(
            value=voice_table(ctx), label=i18n("voices.table"), interactive=False, wrap=True,
            max_height=700, elem_id="voices-table",
        )  # fmt: skip
        localize(self.table, lambda: voice_table(ctx))
        with gr.Accordion(i18n("voices.box"), open=True) as self.box:
            self.picker = gr.Dropdown(label=i18n("voices.picker"), choices=custom_choices(ctx), value=NEW)
            localize(self.picker, lambda: gr.update(choices=custom_choices(ctx)))
            self.clip = gr.File(
                label=i18n("voices.clip"), file_types=[".wav"], type="filepath", elem_classes="voice-clip",
            )  # fmt: skip
            self.preview = gr.Audio(label=i18n("voices.stored_clip"), interactive=False, visible=False, type="filepath")
            with gr.Row():
                self.name = gr.Textbox(label=i18n("voices.name"), max_length=80, scale=2)
                self.language = gr.Dropdown(label=i18n("voices.language"), choices=languages(), value="en", scale=1)
            localize(self.language, lambda: gr.update(choices=languages()))
            self.description = gr.Textbox(label=i18n("voices.description"), max_length=1000)
            gr.Markdown(i18n("voices.provenance"))
            self.source = gr.Textbox(label=i18n("voices.field.source"), max_length=1000)
            self.license = gr.Textbox(label=i18n("voices.field.license"), max_length=1000)
            self.synthetic = gr.Checkbox(label=i18n("voices.synthetic"))
            with gr.Row():
                self.speaker = gr.Textbox(label=i18n("voices.field.consent_speaker"), max_length=200)
                self.method = gr.Textbox(label=i18n("voices.field.consent_method"), max_length=1000)
            with gr.Row():
                self.consent_date = gr.Textbox(label=i18n("voices.field.consent_date"), placeholder="2026-01-31")
                self.scope = gr.Textbox(label=i18n("voices.field.consent_scope"), max_length=1000)
            self.save_button = gr.Button(i18n("voices.save"), variant="primary")
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
            raise gr.Error(tr("voices.unknown", voice=voice_id))
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
                done = tr("voices.saved", name=view.name, voice=view.voice_id)
            else:
                view = update_custom_voice(session, voice_id=voice_id, data=data, author=author)
                done = tr("voices.updated", name=view.name, voice=view.voice_id)
        tone = "ok" if not view.missing else "warn"
        if view.missing:
            done += tr("voices.saved_incomplete", fields="; ".join(view.missing))
        picked = self.picked(view.voice_id)
        choices = gr.update(choices=custom_choices(self.ctx), value=view.voice_id)
        return [choices, voice_table(self.ctx), status_html(done, tone), *picked[:-1]]

    def _read_clip(self, clip_path: str | None) -> bytes:
        if not clip_path:
            raise CustomVoiceError(tr("voices.no_clip"))
        path = Path(clip_path)
        limit = self.ctx.settings.max_voice_clip_bytes
        if path.stat().st_size > limit:  # refused before reading a huge upload into memory
            size = f"{path.stat().st_size:,}"
            raise CustomVoiceError(tr("voices.clip_too_big", file=path.name, size=size, limit=f"{limit:,}"))
        return path.read_bytes()


def build(page: Page) -> VoicesPanel:
    ctx, demo, author, policy = page.ctx, page.demo, page.author, page.policy
    panel = VoicesPanel(ctx, author=author, policy=policy)
    panel.on_page_load(demo)
    return panel
