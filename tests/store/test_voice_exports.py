"""Exports carry the voice card; a library round trip keeps custom voices, clip and consent record included."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from sqlmodel import Session

from stepaudio_ui.exchange.formats import ImportProblem, export_bytes, import_bytes, library_bytes
from stepaudio_ui.studio import library as studio
from stepaudio_ui.studio.custom_voices import (
    create_custom_voice,
    custom_voice_clip,
    get_custom_voice,
    list_custom_voices,
    provenance_history,
    update_custom_voice,
)
from stepaudio_ui.studio.store import Database
from tests.store.examples import persona_spec
from tests.store.test_custom_voices import CONSENT, LIMIT
from tests.store.voice_clips import packaged_clip


def _voice(session: Session, **provenance: str) -> str:
    data = {"name": "Dana", "provenance": provenance}
    return create_custom_voice(session, data=data, clip=packaged_clip(), author="kim", max_clip_bytes=LIMIT).voice_id


def test_a_persona_export_carries_its_voice_card_and_imports_elsewhere(session: Session, other_db: Database) -> None:
    voice_id = _voice(session, source="studio B")
    studio.create_item(session, kind="persona", spec=persona_spec(voice=voice_id), author="kim")
    data = export_bytes(session, kind="persona", slug="ada")
    card = json.loads(data)["voice_card"]
    assert card["voice"] == voice_id and card["custom"] is True
    assert card["source"].startswith("studio B") and card["consent"] == "NOT ON RECORD"
    assert "Consent: speaker's name" in card["missing"]
    assert "cannot clone" in card["engines"]["embedded"]
    with other_db.session() as other:
        report = import_bytes(other, data, author="importer", max_bytes=LIMIT)
        assert [item.action for item in report.items] == ["created"]  # the card is tolerated, not imported


def test_a_packaged_voice_card_names_model_license_and_consent(session: Session) -> None:
    studio.create_item(session, kind="persona", spec=persona_spec(voice="jm_kumo"), author="kim")
    card = json.loads(export_bytes(session, kind="persona", slug="ada"))["voice_card"]
    assert card["voice"] == "jm_kumo" and card["custom"] is False
    assert card["model"].startswith("Kokoro-82M") and "Apache-2.0" in card["license"] and card["consent"]


def test_library_round_trip_keeps_custom_voices_with_clip_and_history(session: Session, other_db: Database) -> None:
    voice_id = _voice(session, source="studio B")
    update_custom_voice(session, voice_id=voice_id, data={"name": "Dana", "provenance": CONSENT}, author="lee")
    studio.create_item(session, kind="persona", spec=persona_spec(voice=voice_id), author="kim")
    studio.publish_version(session, kind="persona", slug="ada", number=1)
    data = library_bytes(session)
    with other_db.session() as other:
        report = import_bytes(other, data, author="importer", max_bytes=LIMIT)
        assert ("voice", voice_id, "created") in [(i.kind, i.slug, i.action) for i in report.items]
        copied = get_custom_voice(other, voice_id)
        assert (
            copied is not None
            and copied.missing == []
            and copied.provenance == get_custom_voice(session, voice_id).provenance
        )  # type: ignore[union-attr]
        assert custom_voice_clip(other, voice_id) == packaged_clip()
        assert provenance_history(other, voice_id) == provenance_history(session, voice_id)
        assert studio.get_version(other, kind="persona", slug="ada").published
        again = import_bytes(other, data, author="importer", max_bytes=LIMIT)
        assert ("voice", voice_id, "unchanged") in [(i.kind, i.slug, i.action) for i in again.items]


def test_a_different_clip_under_a_taken_id_is_refused_and_nothing_is_saved(
    session: Session, other_db: Database
) -> None:
    voice_id = _voice(session, source="studio B")
    document = json.loads(library_bytes(session))
    other_clip = packaged_clip("jm_kumo")
    document["voices"][0]["clip_wav_base64"] = base64.b64encode(other_clip).decode()
    document["voices"][0]["clip_sha256"] = hashlib.sha256(other_clip).hexdigest()
    with other_db.session() as other:
        _voice(other, source="somewhere else")  # takes the same id with the original clip
        with pytest.raises(ImportProblem, match="different clip"):
            import_bytes(other, json.dumps(document).encode(), author="importer", max_bytes=LIMIT)
        assert [v.voice_id for v in list_custom_voices(other)] == [voice_id]
        assert custom_voice_clip(other, voice_id) == packaged_clip()


def test_a_damaged_clip_is_refused_naming_the_voice(session: Session, other_db: Database) -> None:
    _voice(session, source="studio B")
    document = json.loads(library_bytes(session))
    document["voices"][0]["clip_sha256"] = "0" * 64
    with other_db.session() as other, pytest.raises(ImportProblem, match="does not match its sha256"):
        import_bytes(other, json.dumps(document).encode(), author="importer", max_bytes=LIMIT)
