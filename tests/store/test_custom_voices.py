"""Custom voices: the clip checks, the size limit, and the publish rule (consent on record or no publishing)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session

from stepaudio_ui.studio import library as studio
from stepaudio_ui.studio.custom_voices import (
    CustomVoiceError,
    VoiceProvenanceIncomplete,
    create_custom_voice,
    custom_voice_clip,
    get_custom_voice,
    list_custom_voices,
    provenance_history,
    update_custom_voice,
)
from tests.store.examples import persona_spec
from tests.store.voice_clips import packaged_clip, tone_wav

LIMIT = 5_000_000
CONSENT: dict[str, Any] = {
    "source": "Recorded by the studio team, session 12",
    "license": "Internal use by Acme for voice personas",
    "consent_speaker": "Dana Smith",
    "consent_method": "signed release form, filed as HR-2291",
    "consent_date": "2026-01-15",
    "consent_scope": "branded in-car assistant personas, 2 years",
}


def _upload(session: Session, clip: bytes | None = None, **provenance: Any) -> Any:
    data = {"name": "Dana", "description": "Warm studio voice", "language": "en", "provenance": provenance}
    return create_custom_voice(
        session, data=data, clip=packaged_clip() if clip is None else clip, author="kim", max_clip_bytes=LIMIT
    )


def test_a_voice_without_consent_is_saved_and_previewable_but_not_publishable(session: Session) -> None:
    voice = _upload(session, source="a podcast interview")
    assert voice.voice_id == "custom-dana"
    assert voice.sample_rate == 24_000 and 3 <= voice.duration_s <= 30
    assert custom_voice_clip(session, voice.voice_id) == packaged_clip()
    studio.create_item(session, kind="persona", spec=persona_spec(voice=voice.voice_id), author="kim")
    studio.save_version(  # saving more versions on that voice is fine
        session, kind="persona", slug="ada", spec=persona_spec(voice=voice.voice_id, tagline="v2"),
        base_number=1, author="kim",
    )  # fmt: skip
    with pytest.raises(VoiceProvenanceIncomplete) as refused:
        studio.publish_version(session, kind="persona", slug="ada", number=2)
    message = str(refused.value)
    for label in ("License / terms of use", "Consent: speaker's name", "Consent: how it was given"):
        assert label in message
    assert "Source of the voice" not in message  # given, so not named as missing
    assert "Voices tab" in message and "custom-dana" in message
    assert studio.get_version(session, kind="persona", slug="ada").published is False  # nothing changed


def test_completing_the_provenance_allows_publishing_and_keeps_the_old_record(session: Session) -> None:
    voice = _upload(session, source="a podcast interview")
    studio.create_item(session, kind="persona", spec=persona_spec(voice=voice.voice_id), author="kim")
    updated = update_custom_voice(
        session,
        voice_id=voice.voice_id,
        data={"name": "Dana", "language": "en", "provenance": CONSENT},
        author="lee",
    )
    assert updated.missing == [] and updated.updated_by == "lee"
    assert updated.clip_sha256 == voice.clip_sha256  # the clip never changes
    assert studio.publish_version(session, kind="persona", slug="ada", number=1).published
    history = provenance_history(session, voice.voice_id)
    assert history[0]["source"] == "a podcast interview" and history[0]["consent_speaker"] == ""


def test_a_synthetic_declaration_replaces_the_consent_fields(session: Session) -> None:
    voice = _upload(session, source="Kokoro-82M jf_alpha, spoken by the embedded engine", license="Apache-2.0",
                    synthetic=True)  # fmt: skip
    assert voice.missing == []
    studio.create_item(session, kind="persona", spec=persona_spec(voice=voice.voice_id), author="kim")
    assert studio.publish_version(session, kind="persona", slug="ada", number=1).published


def test_packaged_voices_publish_as_before(session: Session) -> None:
    studio.create_item(session, kind="persona", spec=persona_spec(voice="blend_warm"), author="kim")
    assert studio.publish_version(session, kind="persona", slug="ada", number=1).published


def test_an_unknown_custom_voice_id_cannot_be_published(session: Session) -> None:
    studio.create_item(session, kind="persona", spec=persona_spec(voice="custom-nobody"), author="kim")
    with pytest.raises(VoiceProvenanceIncomplete, match="not a custom voice on record"):
        studio.publish_version(session, kind="persona", slug="ada", number=1)


@pytest.mark.parametrize(
    ("clip", "problem"),
    [
        (b"", "is empty"),
        (b"RIFF....not really a wave file at all", "not a readable WAV"),
        (tone_wav(1.0), "lasts 1.0 s"),
        (tone_wav(31.0, rate=16_000), "lasts 31.0 s"),
        (tone_wav(5.0, rate=8_000), "sampled at 8000 Hz"),
        (tone_wav(4.0, channels=3), "has 3 channels"),
        (tone_wav(4.0, fmt="FLAC"), "not WAV"),
    ],
)
def test_bad_clips_are_refused_with_the_fix_and_nothing_is_saved(session: Session, clip: bytes, problem: str) -> None:
    with pytest.raises(CustomVoiceError, match=problem):
        _upload(session, clip=clip, **CONSENT)
    assert list_custom_voices(session) == []


def test_the_size_limit_names_the_setting(session: Session) -> None:
    clip = packaged_clip()
    with pytest.raises(CustomVoiceError, match="STEPAUDIO_MAX_VOICE_CLIP_BYTES") as refused:
        create_custom_voice(session, data={"name": "Big"}, clip=clip, author="kim", max_clip_bytes=len(clip) - 1)
    assert f"{len(clip):,} bytes" in str(refused.value)
    assert list_custom_voices(session) == []


def test_bad_fields_name_the_field(session: Session) -> None:
    with pytest.raises(CustomVoiceError, match="provenance.consent_date"):
        _upload(session, **{**CONSENT, "consent_date": "next tuesday"})
    with pytest.raises(CustomVoiceError, match="in the future"):
        _upload(session, **{**CONSENT, "consent_date": "2999-01-01"})
    with pytest.raises(CustomVoiceError, match="name"):
        create_custom_voice(session, data={"name": ""}, clip=packaged_clip(), author="kim", max_clip_bytes=LIMIT)


def test_names_get_unique_ids_that_never_collide_with_packaged_voices(session: Session) -> None:
    first, second = _upload(session), _upload(session)
    assert (first.voice_id, second.voice_id) == ("custom-dana", "custom-dana-2")
    assert get_custom_voice(session, "jf_alpha") is None


def test_cloning_engines_get_the_stored_clip_and_never_a_stand_in(db: Any, tmp_path: Any) -> None:
    from model.step_audio2.parts import reference_clip
    from stepaudio_ui.package_data import voice_clips_dir
    from stepaudio_ui.voices.engine_clips import clip_lookup

    with db.session() as session:
        voice_id = _upload(session).voice_id
    lookup = clip_lookup(db, tmp_path / "voice-clips")
    path = reference_clip(voice_id, lookup=lookup)  # what Step-Audio 2 mini's session calls for a turn
    assert path.read_bytes() == packaged_clip()
    assert reference_clip(voice_id, lookup=lookup) == path  # written once, then reused
    packaged = reference_clip("jm_kumo", voice_clips_dir(), lookup=lookup)
    assert packaged.name == "jm_kumo.wav"  # packaged clips as before
    with pytest.raises(FileNotFoundError, match="Voices tab"):
        reference_clip("custom-nobody", lookup=lookup)
