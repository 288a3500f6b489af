"""Voice provenance cards: the model, license, source and consent behind a persona's voice.

The card comes from the engine's own catalogue (`Engine.voices()`), so what a report or an export
states is what the engine declares, not a copy that can drift.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from model.protocol import Engine


class VoiceCard(BaseModel):
    voice: str
    engine: str
    name: str = ""
    model: str = ""
    license: str = ""
    source: str = ""
    consent: str = ""
    known: bool = True  # False: the engine does not list this voice; its provenance is not on record
    custom: bool = False  # an uploaded reference clip (stepaudio_ui.voices), not an engine's own voice
    note: str = ""  # what this engine does with the voice, when that is not simply "speaks with it"
    missing: list[str] = Field(default_factory=list)  # provenance fields still needed before publishing

    def lines(self) -> list[str]:
        if not self.known:
            return [f"Voice {self.voice!r} is not in the {self.engine} engine's catalogue: provenance not on record."]
        lines = [
            f"Voice: {self.name} ({self.voice}){' [custom voice]' if self.custom else ''} on {self.engine}",
            f"Model: {self.model}",
            f"License: {self.license or 'NOT ON RECORD'}",
            f"Source: {self.source or 'NOT ON RECORD'}",
            f"Consent: {self.consent}",
        ]
        if self.note:
            lines.append(f"Note: {self.note}")
        if self.missing:
            lines.append(f"Provenance incomplete, publishing refused; missing: {'; '.join(self.missing)}")
        return lines

    def markdown(self) -> str:
        return "\n".join(f"- {line}" for line in self.lines())


def voice_card(engine: Engine, voice_id: str, session: Any = None) -> VoiceCard:
    """The engine's card for `voice_id`; with a store session, custom voices get their own card."""
    if session is not None:
        from stepaudio_ui.voices.cards import custom_card_for

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
