"""The persona editor's "Preview voice" and "Play greeting": hear a persona before going live.

Both speak with the form's voice and speed as they are now, saved or not, through the embedded engine's
TTS, the way a conversation speaks its greeting (`EmbeddedEngine.speak_text`: same phrase cuts, one
synthesis at a time with live calls). A preview never loads the models itself: while they are not
loaded, or when the voice belongs to another engine, it says so instead of playing.
"""

from __future__ import annotations

import logging
from typing import Any

import gradio as gr
import numpy as np

from stepaudio_ui.context import AppContext
from stepaudio_ui.studio.custom_voices import is_custom_voice_id
from stepaudio_ui.ui.i18n import i18n, tr
from stepaudio_ui.ui.render import status_html
from stepaudio_ui.voices.cards import EMBEDDED_ENGINE, engine_voice, fallback_label

logger = logging.getLogger(__name__)

MAX_TEXT_CHARS = 500  # the greeting box's limit, enforced here too: bounded work per click
MAX_NAME_CHARS = 60
# What a voice preview says, in the persona's language (spoken content, not the page's language).
SAMPLES = {
    "en": ("Hi, I'm {name}. This is how I sound.", "your persona"),
    "zh": ("你好，我是{name}。这就是我的声音。", "你的人设"),
}


class PreviewRefused(Exception):
    """Why there is nothing to play; the message is for the page."""


def _embedded(ctx: AppContext) -> Any:
    engine = ctx.engines.get(EMBEDDED_ENGINE)
    if engine is None:
        raise PreviewRefused(tr("preview.no_engine"))
    availability = engine.availability()
    if not availability.usable:
        raise PreviewRefused(tr("preview.unusable", reason=availability.reason))
    return engine


def spoken_voice(ctx: AppContext, voice_id: str | None) -> tuple[str, str]:
    """(embedded voice id to speak with, a note for the page), or PreviewRefused naming the problem."""
    voice_id = (voice_id or "").strip()
    if not voice_id:
        raise PreviewRefused(tr("preview.no_voice"))
    embedded = _embedded(ctx)
    if is_custom_voice_id(voice_id):
        return engine_voice(EMBEDDED_ENGINE, voice_id) or voice_id, tr("preview.custom", fallback=fallback_label())
    if any(voice.id == voice_id for voice in embedded.voices()):
        return voice_id, ""
    for engine in ctx.engines.values():
        if engine is not embedded and any(voice.id == voice_id for voice in engine.voices()):
            raise PreviewRefused(tr("preview.other_engine", voice=voice_id, engine=engine.name))
    raise PreviewRefused(tr("preview.unknown", voice=voice_id))


def preview_text(kind: str, name: str | None, language: str | None, greeting: str | None) -> str:
    """What to say: a short sample in the persona's language, or the greeting as written."""
    if kind == "greeting":
        text = (greeting or "").strip()
        if not text:
            raise PreviewRefused(tr("preview.no_greeting"))
        return text[:MAX_TEXT_CHARS]
    sample, nameless = SAMPLES["zh" if language == "zh" else "en"]
    return sample.format(name=(name or "").strip()[:MAX_NAME_CHARS] or nameless)


async def speak(ctx: AppContext, kind: str, *values: Any) -> tuple[tuple[int, np.ndarray], str]:
    """((sample rate, int16 samples), the status line) for "voice" or "greeting"; PreviewRefused otherwise."""
    name, language, greeting, voice_id, speed = values
    text = preview_text(kind, name, language, greeting)
    voice, note = spoken_voice(ctx, voice_id)
    engine = _embedded(ctx)
    if getattr(engine, "models", None) is None:
        raise PreviewRefused(tr("preview.loading"))
    speed = float(speed or 1.0)
    try:
        rate, audio = await engine.speak_text(text, voice=voice, speed=speed)
    except (RuntimeError, ValueError) as error:  # models dropped meanwhile, a voice or speed out of range
        raise PreviewRefused(str(error)) from error
    if not audio.size:
        raise PreviewRefused(tr("preview.silent"))
    what = tr("preview.voice_sample" if kind == "voice" else "preview.greeting")
    samples = (np.clip(audio, -1.0, 1.0) * 32767).astype(np.int16)
    return (rate, samples), tr("preview.played", what=what, voice=voice, speed=speed) + note


def build(
    ctx: AppContext,
    *,
    name: gr.Textbox,
    language: gr.Dropdown,
    greeting: gr.Textbox,
    voice: gr.components.Component,
    speed: gr.Slider,
) -> None:
    """Lay out the two buttons, a status line and the player where called, and wire them to the form's fields."""
    with gr.Row():
        voice_button = gr.Button(i18n("preview.voice_button"), size="sm", elem_id="persona-preview-voice")
        greeting_button = gr.Button(i18n("preview.greeting_button"), size="sm", elem_id="persona-play-greeting")
    note = gr.HTML("", elem_id="persona-preview-note")
    player = gr.Audio(
        label=i18n("preview.player"), type="numpy", interactive=False, autoplay=True, elem_id="persona-preview-audio"
    )

    def handler(kind: str) -> Any:
        async def run(*values: Any) -> tuple[Any, str]:
            try:
                audio, line = await speak(ctx, kind, *values)
            except PreviewRefused as refused:
                return None, status_html(str(refused), "warn")
            return audio, status_html(line, "ok")

        return run

    inputs = [name, language, greeting, voice, speed]
    for button, kind in ((voice_button, "voice"), (greeting_button, "greeting")):
        # One preview at a time for the whole app: each is a synthesis on the CPU the live calls share.
        button.click(
            handler(kind), inputs, [player, note], concurrency_limit=1, concurrency_id="voice-preview",
            api_name=f"persona_preview_{kind}",
        )  # fmt: skip
