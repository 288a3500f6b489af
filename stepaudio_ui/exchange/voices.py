"""Custom voices and voice cards in our JSON exports (see stepaudio_ui/exchange/formats.py).

- A persona export carries `voice_card`: the provenance of its latest version's voice. It is derived
  data, for the reader of the file; an import accepts it and ignores it (the importing studio's own
  record of the voice is what counts).
- A library export carries `voices`: every custom voice with its clip (base64 WAV), provenance and
  provenance history, so export -> import into an empty studio keeps them. An import adds a voice
  that is missing, leaves an identical one alone, and refuses a different clip under a taken id.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session, select

from model.embedded.speak.voices import valid_voice_ids, voice_info
from stepaudio_ui.studio.core import ImportProblem, validation_problem
from stepaudio_ui.studio.custom_voices import VoiceProvenance, get_custom_voice, is_custom_voice_id, view_of
from stepaudio_ui.studio.voice_clips import VoiceClipError, check_clip
from stepaudio_ui.studio.voice_table import CustomVoice
from stepaudio_ui.voices.cards import EMBEDDED_ENGINE, custom_card, engine_note


def export_voice_card(session: Session, voice_id: str) -> dict[str, Any]:
    """The card a persona export carries for `voice_id` (a custom, packaged or unknown voice)."""
    custom = get_custom_voice(session, voice_id) if is_custom_voice_id(voice_id) else None
    if custom is not None:
        card = custom_card(custom, "step-audio-2-mini").model_dump(exclude={"engine", "known"})
        return {**card, "engines": {"step-audio-2-mini": engine_note("step-audio-2-mini"),
                                    EMBEDDED_ENGINE: engine_note(EMBEDDED_ENGINE)}}  # fmt: skip
    if voice_id in valid_voice_ids():
        info = voice_info(voice_id)
        return {"voice": info.id, "name": info.name, "model": info.model, "license": info.license,
                "source": info.source, "consent": info.consent, "custom": False}  # fmt: skip
    return {"voice": voice_id, "custom": is_custom_voice_id(voice_id), "known": False,
            "note": "not in the exporting studio's catalogue: provenance not on record"}  # fmt: skip


class VoiceDoc(BaseModel):
    model_config = ConfigDict(extra="forbid")
    voice_id: str = Field(pattern=r"^custom-[a-z0-9][a-z0-9-]{0,72}$")
    name: str = Field(min_length=1, max_length=80)
    description: str = Field("", max_length=1_000)
    language: str = Field("en", pattern=r"^(en|zh|both)$")
    provenance: VoiceProvenance
    clip_wav_base64: str
    clip_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    created_by: str = Field("import", min_length=1, max_length=80)
    created_at: datetime | None = None
    updated_by: str = Field("import", min_length=1, max_length=80)
    updated_at: datetime | None = None
    provenance_history: list[dict[str, Any]] = Field(default_factory=list)


def export_voices(session: Session) -> list[dict[str, Any]]:
    rows = session.exec(select(CustomVoice).order_by(CustomVoice.id)).all()
    documents = []
    for row in rows:
        view = view_of(row)
        documents.append(
            {
                "voice_id": row.voice_id, "name": row.name, "description": row.description,
                "language": row.language, "provenance": view.provenance.model_dump(mode="json"),
                "clip_wav_base64": base64.b64encode(row.clip).decode("ascii"), "clip_sha256": row.clip_sha256,
                "created_by": row.created_by, "created_at": row.created_at.isoformat(),
                "updated_by": row.updated_by, "updated_at": row.updated_at.isoformat(),
                "provenance_history": json.loads(row.provenance_history or "[]"),
            }
        )  # fmt: skip
    return documents


def parse_voices(entries: Any, source_name: str, max_bytes: int) -> list[tuple[VoiceDoc, bytes]]:
    """Validate a library's `voices` (schema, base64, checksum, the clip itself) before anything is saved."""
    if not isinstance(entries, list):
        raise ImportProblem(f"{source_name}: voices must be a list of exported custom voices")
    parsed = []
    for index, entry in enumerate(entries):
        where = f"{source_name} voices[{index}]"
        try:
            doc = VoiceDoc.model_validate(entry)
            clip = base64.b64decode(doc.clip_wav_base64, validate=True)
        except ValidationError as error:
            raise ImportProblem(f"{where} does not match the voice schema: {validation_problem(error)}") from None
        except (binascii.Error, ValueError):
            raise ImportProblem(f"{where}: clip_wav_base64 is not valid base64; export the library again") from None
        if hashlib.sha256(clip).hexdigest() != doc.clip_sha256:
            raise ImportProblem(f"{where} ({doc.voice_id}): the clip does not match its sha256; the file is damaged")
        try:
            check_clip(clip, max_bytes=max_bytes, source_name=f"{where} ({doc.voice_id})")
        except VoiceClipError as error:
            raise ImportProblem(str(error)) from None
        parsed.append((doc, clip))
    return parsed


def place_voices(session: Session, parsed: list[tuple[VoiceDoc, bytes]]) -> list[tuple[str, str]]:
    """Insert the missing voices in the caller's transaction; (voice id, action) for each."""
    actions = []
    for doc, clip in parsed:
        existing = session.exec(select(CustomVoice).where(CustomVoice.voice_id == doc.voice_id)).first()
        if existing is not None:
            if existing.clip_sha256 != doc.clip_sha256:
                raise ImportProblem(
                    f"custom voice {doc.voice_id} already exists here with a different clip; nothing was imported. "
                    "A voice id always means one clip: import into another studio, or upload the clip as a new voice"
                )
            actions.append((doc.voice_id, "unchanged"))
            continue
        facts = check_clip(clip, max_bytes=len(clip) + 1)
        row = CustomVoice(
            voice_id=doc.voice_id, name=doc.name, description=doc.description, language=doc.language, clip=clip,
            clip_sha256=doc.clip_sha256, sample_rate=facts.sample_rate, channels=facts.channels,
            duration_s=facts.duration_s, created_by=doc.created_by, updated_by=doc.updated_by,
            provenance_history=json.dumps(doc.provenance_history, ensure_ascii=False),
            **doc.provenance.model_dump(),
        )  # fmt: skip
        if doc.created_at is not None:
            row.created_at = doc.created_at
        if doc.updated_at is not None:
            row.updated_at = doc.updated_at
        session.add(row)
        actions.append((doc.voice_id, "created"))
    session.flush()
    return actions
