"""The publishing gate (STEPAUDIO_REQUIRE_CHECKS_TO_PUBLISH) and voice provenance cards, on a real SQLite library."""

from __future__ import annotations

import pytest

from model.embedded.engine import EmbeddedEngine
from stepaudio_ui.quality.gate import ChecksRequiredError, publish_checked
from stepaudio_ui.quality.runs import save_run
from stepaudio_ui.quality.tables import QualityRun
from stepaudio_ui.settings import Settings
from stepaudio_ui.studio import library as studio
from stepaudio_ui.voices.cards import voice_card


def _store_run(library, *, version: int, passed: bool) -> None:  # noqa: ANN001 - Database
    run = QualityRun(persona_slug="nova-in-car", persona_version=version, engine="embedded", script="{}", passed=passed)
    with library.session() as session:
        save_run(session, run=run, replies=[])


def test_publishing_needs_a_passing_run_of_that_version_only_when_required(library, tmp_path):
    strict = Settings(data_dir=tmp_path, require_checks_to_publish=True, _env_file=None)
    with library.session() as session:
        v1 = studio.get_version(session, kind="persona", slug="nova-in-car")
        studio.save_version(session, kind="persona", slug="nova-in-car", spec={**v1.spec.model_dump(), "speed": 1.1},
                            base_number=1, author="test")  # fmt: skip
        with pytest.raises(
            ChecksRequiredError,
            match=r"nova-in-car v2 has no passing check run.*stepaudio-ui check nova-in-car --version 2",
        ):
            publish_checked(session, settings=strict, kind="persona", slug="nova-in-car", number=2)
    _store_run(library, version=2, passed=False)
    _store_run(library, version=1, passed=True)  # another version's pass does not count
    with library.session() as session, pytest.raises(ChecksRequiredError):
        publish_checked(session, settings=strict, kind="persona", slug="nova-in-car", number=2)
    _store_run(library, version=2, passed=True)
    with library.session() as session:
        assert publish_checked(session, settings=strict, kind="persona", slug="nova-in-car", number=2).published
        # Scene tones are not gated, and without the setting nothing is.
        assert publish_checked(session, settings=strict, kind="scene", slug="in-car", number=1).published
        relaxed = Settings(data_dir=tmp_path, _env_file=None)
        assert publish_checked(session, settings=relaxed, kind="persona", slug="nova-in-car", number=1).published


def test_voice_cards_carry_the_catalogue_provenance():
    engine = EmbeddedEngine()  # the catalogue needs no models loaded
    card = voice_card(engine, "blend_warm")
    assert card.known and card.model.startswith("Kokoro-82M") and "Apache-2.0" in card.license
    assert "Weighted blend" in card.source and "no single identifiable person" in card.consent
    assert any(line.startswith("Consent: ") for line in card.lines())
    unknown = voice_card(engine, "my-cloned-voice")
    assert not unknown.known and "provenance not on record" in unknown.markdown()
