"""Voice cards across the catalogue: the engines' own voices plus the custom voices in the store.

What each engine does with a custom voice is stated, never implied:
- a timbre-cloning engine (Step-Audio 2 mini) speaks with the uploaded clip;
- the embedded Kokoro engine cannot clone from a clip: it speaks with its default packaged voice
  (`FALLBACK_VOICE_ID`), and says so on the card and in the Live panel's notice;
- hosted realtime services speak with their own default voice.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from model.embedded.speak.voices import DEFAULT_VOICE_ID, voice_info
from model.protocol import Engine
from stepaudio_ui.studio.custom_voices import CustomVoiceView, get_custom_voice, is_custom_voice_id, list_custom_voices
from stepaudio_ui.voices.provenance import VoiceCard

CLONING_ENGINES = frozenset({"step-audio-2-mini"})
EMBEDDED_ENGINE = "embedded"
FALLBACK_VOICE_ID = DEFAULT_VOICE_ID  # what the embedded engine itself falls back to for a voice it lacks


def fallback_label() -> str:
    return f"{voice_info(FALLBACK_VOICE_ID).name} ({FALLBACK_VOICE_ID})"


def engine_note(engine_name: str) -> str:
    """What `engine_name` does with a custom (reference-clip) voice."""
    if engine_name in CLONING_ENGINES:
        return "this engine copies the timbre of the uploaded reference clip"
    if engine_name == EMBEDDED_ENGINE:
        return (
            "the embedded Kokoro engine cannot clone a voice from a clip: previews on it speak with the packaged "
            f"voice {fallback_label()} instead, not with this voice"
        )
    return "this hosted engine cannot use an uploaded clip: it speaks with its own default voice instead"


def engine_voice(engine_name: str, voice_id: str | None) -> str | None:
    """The voice id to send `engine_name` for a persona voice: a custom voice becomes the stated fallback
    on the embedded engine; every other engine gets the id as it is (cloning engines look the clip up)."""
    if is_custom_voice_id(voice_id) and engine_name == EMBEDDED_ENGINE:
        return FALLBACK_VOICE_ID
    return voice_id


def custom_card(voice: CustomVoiceView, engine_name: str) -> VoiceCard:
    provenance = voice.provenance
    model = (
        "Step-Audio 2 mini (timbre copied from this reference clip)"
        if engine_name in CLONING_ENGINES
        else f"not cloned on {engine_name}"
    )
    return VoiceCard(
        voice=voice.voice_id,
        engine=engine_name,
        name=voice.name,
        model=model,
        license=provenance.license,
        source=f"{provenance.source or 'NOT ON RECORD'} (uploaded reference clip, {voice.duration_s:.1f} s, "
        f"{voice.sample_rate} Hz, sha256 {voice.clip_sha256[:12]}, by {voice.created_by})",
        consent=provenance.consent_text(),
        custom=True,
        note=engine_note(engine_name),
        missing=voice.missing,
    )


def custom_card_for(session: Session, engine_name: str, voice_id: str) -> VoiceCard | None:
    """The card of a custom voice on `engine_name`, or None when `voice_id` is not a stored custom voice."""
    if not is_custom_voice_id(voice_id):
        return None
    voice = get_custom_voice(session, voice_id)
    return None if voice is None else custom_card(voice, engine_name)


def persona_voice_markdown(engines: dict[str, Any], session: Session | None, voice_id: str | None) -> str:
    """The card shown next to the persona editor's voice picker (no engine chosen yet: all of them)."""
    voice_id = (voice_id or "").strip()
    if not voice_id:
        return "**Voice card**\n\nPick a voice to see where it comes from."
    voice = get_custom_voice(session, voice_id) if session is not None and is_custom_voice_id(voice_id) else None
    if voice is not None:
        card = custom_card(voice, "step-audio-2-mini")
        publish = (
            "✅ provenance complete: personas using this voice can be published"
            if not voice.missing
            else "⛔ provenance incomplete: personas using it can be saved and previewed, not published. "
            f"Missing: {'; '.join(voice.missing)} (complete it in the Voices tab)"
        )
        lines = [
            f"Voice: {voice.name} ({voice.voice_id}) [custom voice: uploaded reference clip]",
            *card.lines()[2:5],
            f"Step-Audio 2 mini: {engine_note('step-audio-2-mini')}",
            f"Embedded: {engine_note(EMBEDDED_ENGINE)}",
            f"Hosted engines: {engine_note('stepfun')}",
            publish,
        ]
        return "**Voice card**\n\n" + "\n".join(f"- {line}" for line in lines)
    for engine in engines.values():
        card = voice_card(engine, voice_id)
        if card.known:
            return "**Voice card**\n\n" + card.markdown()
    return (
        f"**Voice card**\n\n- Voice {voice_id!r} is in no loaded engine's catalogue and is not a custom voice: "
        "its provenance is not on record. Pick a listed voice or upload it in the Voices tab."
    )


def voice_choices(engines: dict[str, Any], session: Session | None) -> list[tuple[str, str]]:
    """(label, id) for the persona voice picker: every engine voice, then every custom voice."""
    voices: dict[str, str] = {}
    for engine in engines.values():
        for voice in engine.voices():
            voices.setdefault(voice.id, f"{voice.name} ({voice.id}, {engine.name})")
    choices = [(label, voice_id) for voice_id, label in sorted(voices.items())]
    for custom in list_custom_voices(session) if session is not None else []:
        state = "provenance incomplete" if custom.missing else "provenance complete"
        choices.append((f"{custom.name} ({custom.voice_id}, custom voice, {state})", custom.voice_id))
    return choices


def voice_card(engine: Engine, voice_id: str, session: Any = None) -> VoiceCard:
    """The engine's card for `voice_id`; with a store session, custom voices get their own card."""
    if session is not None:
        custom = custom_card_for(session, engine.name, voice_id)
        if custom is not None:
            return custom
    for voice in engine.voices():
        if voice.id == voice_id:
            return VoiceCard(
                voice=voice.id,
                engine=engine.name,
                name=voice.name,
                model=voice.model,
                license=voice.license,
                source=voice.source,
                consent=voice.consent,
            )
    return VoiceCard(voice=voice_id, engine=engine.name, known=False)
