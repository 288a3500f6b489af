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
from stepaudio_ui.ui.render import status_html
from stepaudio_ui.voices.cards import EMBEDDED_ENGINE, engine_voice, fallback_label

logger = logging.getLogger(__name__)

MAX_TEXT_CHARS = 500  # the greeting box's limit, enforced here too: bounded work per click
MAX_NAME_CHARS = 60
# Every word of the preview, in one place (for translation).
TEXT = {
    "voice_button": "Preview voice",
    "greeting_button": "Play greeting",
    "player": "Preview",
    "sample_en": "Hi, I'm {name}. This is how I sound.",
    "sample_zh": "你好，我是{name}。这就是我的声音。",
    "nameless": "your persona",
    "voice_sample": "a voice sample",
    "greeting": "the greeting",
    "played": "Played {what} in {voice} at speed {speed:g}, as the embedded engine speaks it.",
    "custom": " A custom voice is copied only by Step-Audio 2 mini: the embedded engine speaks it with {fallback}.",
    "no_engine": "Previews need the embedded engine, and this server has none configured.",
    "unusable": "The embedded engine cannot run here, so there is no preview: {reason}",
    "loading": "⏳ The embedded engine's models are not loaded yet (they load in the background after the server "
    "starts, or with the first conversation). Try again when the Live tab shows the embedded engine ✅ ready.",
    "no_voice": "Pick a voice first, then preview it.",
    "no_greeting": "This persona has no greeting to play: write one in the Greeting box.",
    "silent": "There is nothing to say in that text (no words).",
    "other_engine": "Voice {voice} belongs to the {engine} engine; previews speak with the embedded engine's "
    "voices only. Pick an embedded voice to hear it here, or talk to the persona on {engine} in the Live tab.",
    "unknown": "Voice {voice} is in no engine's list: pick a listed voice.",
}


class PreviewRefused(Exception):
    """Why there is nothing to play; the message is for the page."""


def _embedded(ctx: AppContext) -> Any:
    engine = ctx.engines.get(EMBEDDED_ENGINE)
    if engine is None:
        raise PreviewRefused(TEXT["no_engine"])
    availability = engine.availability()
    if not availability.usable:
        raise PreviewRefused(TEXT["unusable"].format(reason=availability.reason))
    return engine


def spoken_voice(ctx: AppContext, voice_id: str | None) -> tuple[str, str]:
    """(embedded voice id to speak with, a note for the page), or PreviewRefused naming the problem."""
    voice_id = (voice_id or "").strip()
    if not voice_id:
        raise PreviewRefused(TEXT["no_voice"])
    embedded = _embedded(ctx)
    if is_custom_voice_id(voice_id):
        return engine_voice(EMBEDDED_ENGINE, voice_id) or voice_id, TEXT["custom"].format(fallback=fallback_label())
    if any(voice.id == voice_id for voice in embedded.voices()):
        return voice_id, ""
    for engine in ctx.engines.values():
        if engine is not embedded and any(voice.id == voice_id for voice in engine.voices()):
            raise PreviewRefused(TEXT["other_engine"].format(voice=voice_id, engine=engine.name))
    raise PreviewRefused(TEXT["unknown"].format(voice=voice_id))


def preview_text(kind: str, name: str | None, language: str | None, greeting: str | None) -> str:
    """What to say: a short sample in the persona's language, or the greeting as written."""
    if kind == "greeting":
        text = (greeting or "").strip()
        if not text:
            raise PreviewRefused(TEXT["no_greeting"])
        return text[:MAX_TEXT_CHARS]
    shown = (name or "").strip()[:MAX_NAME_CHARS] or TEXT["nameless"]
    return TEXT["sample_zh" if language == "zh" else "sample_en"].format(name=shown)


async def speak(ctx: AppContext, kind: str, *values: Any) -> tuple[tuple[int, np.ndarray], str]:
    """((sample rate, int16 samples), the status line) for "voice" or "greeting"; PreviewRefused otherwise."""
    name, language, greeting, voice_id, speed = values
    text = preview_text(kind, name, language, greeting)
    voice, note = spoken_voice(ctx, voice_id)
    engine = _embedded(ctx)
    if getattr(engine, "models", None) is None:
        raise PreviewRefused(TEXT["loading"])
    speed = float(speed or 1.0)
    try:
        rate, audio = await engine.speak_text(text, voice=voice, speed=speed)
    except (RuntimeError, ValueError) as error:  # models dropped meanwhile, a voice or speed out of range
        raise PreviewRefused(str(error)) from error
    if not audio.size:
        raise PreviewRefused(TEXT["silent"])
    what = TEXT["voice_sample" if kind == "voice" else "greeting"]
    samples = (np.clip(audio, -1.0, 1.0) * 32767).astype(np.int16)
    return (rate, samples), TEXT["played"].format(what=what, voice=voice, speed=speed) + note


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
        voice_button = gr.Button(TEXT["voice_button"], size="sm", elem_id="persona-preview-voice")
        greeting_button = gr.Button(TEXT["greeting_button"], size="sm", elem_id="persona-play-greeting")
    note = gr.HTML("", elem_id="persona-preview-note")
    player = gr.Audio(
        label=TEXT["player"], type="numpy", interactive=False, autoplay=True, elem_id="persona-preview-audio"
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
