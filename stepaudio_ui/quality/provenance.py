"""Voice provenance cards: the model, license, source and consent behind a persona's voice.

The card comes from the engine's own catalogue (`Engine.voices()`), so what a report or an export
states is what the engine declares, not a copy that can drift.
"""

from __future__ import annotations

from pydantic import BaseModel

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

    def lines(self) -> list[str]:
        if not self.known:
            return [f"Voice {self.voice!r} is not in the {self.engine} engine's catalogue: provenance not on record."]
        return [
            f"Voice: {self.name} ({self.voice}) on {self.engine}",
            f"Model: {self.model}",
            f"License: {self.license}",
            f"Source: {self.source}",
            f"Consent: {self.consent}",
        ]

    def markdown(self) -> str:
        return "\n".join(f"- {line}" for line in self.lines())


def voice_card(engine: Engine, voice_id: str) -> VoiceCard:
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
