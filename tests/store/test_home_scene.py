"""A persona's home scene: a field of the persona version, checked on save, kept by our JSON, left empty by a
Character Card; the reserved scene slug "none"; composing without a scene; and the one scene rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import Session, select

from stepaudio_ui.bootstrap import seed_if_empty
from stepaudio_ui.exchange.formats import export_bytes, import_bytes
from stepaudio_ui.package_data import packaged_folder
from stepaudio_ui.studio import library as studio
from stepaudio_ui.studio.compose import NEUTRAL_FRAME, compose_instructions, compose_session
from stepaudio_ui.studio.scene_choice import SceneChoiceError, choose_scene, lab_scene
from stepaudio_ui.studio.specs import NO_SCENE, PersonaSpec, Traits
from stepaudio_ui.studio.store import Database, PersonaVersion
from tests.store.examples import persona_spec, scene_spec


def _scene(session: Session, slug: str, *, publish: bool = True) -> None:
    studio.create_item(session, kind="scene", spec=scene_spec(slug.title()), author="kim", slug=slug)
    if publish:
        studio.publish_version(session, kind="scene", slug=slug, number=1)


def test_home_scene_is_a_checked_field_of_the_version(session: Session) -> None:
    _scene(session, "in-car")
    v1 = studio.create_item(session, kind="persona", spec=persona_spec(home_scene="in-car"), author="kim")
    assert v1.spec.home_scene == "in-car"  # type: ignore[union-attr]
    with pytest.raises(studio.StudioError, match=r"home scene 'in-cra' is not a scene tone.*leave it empty"):
        studio.save_version(
            session, kind="persona", slug="ada", spec=persona_spec(home_scene="in-cra"), base_number=1, author="kim"
        )
    assert studio.get_version(session, kind="persona", slug="ada").number == 1  # nothing saved
    assert persona_spec(home_scene="").home_scene is None and persona_spec(home_scene=NO_SCENE).home_scene is None


def test_no_scene_slug_is_reserved_for_scenes(session: Session) -> None:
    with pytest.raises(studio.StudioError, match="slug 'none' is reserved"):
        studio.create_item(session, kind="scene", spec=scene_spec("Quiet"), author="kim", slug=NO_SCENE)
    assert studio.create_item(session, kind="scene", spec=scene_spec("None"), author="kim").slug == "none-2"
    assert studio.create_item(session, kind="persona", spec=persona_spec("None"), author="kim").slug == "none"


def test_a_version_saved_before_the_field_existed_is_unchanged_by_the_same_content(session: Session) -> None:
    studio.create_item(session, kind="persona", spec=persona_spec(), author="kim")
    row = session.exec(select(PersonaVersion)).one()
    old = json.loads(row.spec)
    del old["home_scene"]  # what a database written before home scenes holds
    row.spec = json.dumps(old)
    session.add(row)
    session.commit()
    with pytest.raises(studio.StudioError, match="nothing changed since version 1"):
        studio.save_version(session, kind="persona", slug="ada", spec=persona_spec(), base_number=1, author="kim")


def test_our_json_keeps_the_home_scene_and_a_character_card_leaves_it_empty(
    session: Session, other_db: Database
) -> None:
    _scene(session, "in-car")
    studio.create_item(session, kind="persona", spec=persona_spec(home_scene="in-car"), author="kim")
    ours = export_bytes(session, kind="persona", slug="ada", fmt="stepaudio")
    assert json.loads(ours)["versions"][0]["spec"]["home_scene"] == "in-car"
    card = export_bytes(session, kind="persona", slug="ada", fmt="chara-json")
    with other_db.session() as other:  # a library without that scene tone: both imports still succeed
        import_bytes(other, ours, author="imp", max_bytes=1_000_000)
        assert studio.get_version(other, kind="persona", slug="ada").spec.home_scene == "in-car"  # type: ignore[union-attr]
        import_bytes(other, card, author="imp", max_bytes=1_000_000)
        latest = studio.get_version(other, kind="persona", slug="ada")
        assert latest.number == 2 and latest.spec.home_scene is None  # type: ignore[union-attr]


def test_seed_personas_name_seed_scenes() -> None:
    seeds = packaged_folder("seeds")
    scenes = {path.stem for path in (seeds / "scenes").glob("*.json")}
    homes = {}
    for path in sorted((seeds / "personas").glob("*.json")):
        spec = PersonaSpec.model_validate(json.loads(path.read_text(encoding="utf-8"))["versions"][-1]["spec"])
        homes[path.stem] = spec.home_scene
    assert {home for home in homes.values() if home} <= scenes
    assert homes["nova-in-car"] == "in-car" and homes["luna-storyteller"] == "bedtime-story"
    assert (homes["sam-support"], homes["xiaoxing-service"]) == ("support-desk", "zh-hotline")


def test_compose_without_a_scene_has_no_scene_text_and_the_personas_own_frame() -> None:
    persona = persona_spec(speed=1.2, traits=Traits(formality=0.9))
    text = compose_instructions(persona, None)
    assert "Scene:" not in text and "Mood:" not in text and "Situation:" not in text
    assert "very formal" in text  # no scene pulling the register toward its own
    config = compose_session(persona, None)
    assert config.speed == 1.2 and config.max_sentences == NEUTRAL_FRAME.verbosity
    assert config.turn_detection.silence_duration_ms == NEUTRAL_FRAME.turn_taking.silence_ms  # type: ignore[union-attr]
    assert "Scene: In the car." in compose_instructions(persona, scene_spec())


def test_one_scene_rule_for_viewers_and_editors(session: Session) -> None:
    _scene(session, "in-car")
    _scene(session, "drafty", publish=False)
    home = persona_spec(home_scene="drafty")
    assert choose_scene(session, persona=home, requested=None, role="viewer") is None  # unpublished: no scene
    assert choose_scene(session, persona=home, requested=None, role="editor").slug == "drafty"  # type: ignore[union-attr]
    assert choose_scene(session, persona=home, requested=NO_SCENE, role="editor") is None
    assert choose_scene(session, persona=persona_spec(), requested=None, role="editor") is None  # no home: none
    with pytest.raises(SceneChoiceError, match=r"'drafty'.*published scene tones in-car, or 'none'"):
        choose_scene(session, persona=home, requested="drafty", role="viewer")
    # The quality lab (editors, latest versions): a home scene no longer in the library means none.
    assert lab_scene(session, persona=persona_spec(home_scene="elsewhere"), requested=None) is None
    assert lab_scene(session, persona=home, requested=None).slug == "drafty"  # type: ignore[union-attr]
    assert lab_scene(session, persona=home, requested=NO_SCENE) is None


def test_seeded_library_gives_the_in_car_persona_its_scene(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'seeded.db'}")
    db.migrate()
    with db.session() as s:
        seed_if_empty(s, packaged_folder("seeds"))
        nova = studio.get_default_version(s, kind="persona", slug="nova-in-car")
        chosen = choose_scene(s, persona=nova.spec, requested=None, role="viewer")  # type: ignore[arg-type]
    assert chosen is not None and chosen.slug == "in-car"
    db.dispose()
