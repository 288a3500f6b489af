"""Voice provenance cards: the model, license, source and consent behind a persona's voice.

The card comes from the engine's own catalogue (`Engine.voices()`), so what a report or an export
states is what the engine declares, not a copy that can drift.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


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
