"""Field-level diff: nested models, lists of examples, whole-list fields, and the version helper."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from stepaudio_ui.studio import library as studio
from stepaudio_ui.studio.library import FieldChange, diff_specs
from stepaudio_ui.studio.specs import ExampleExchange, Guardrails, Traits, TurnTaking
from tests.store.examples import persona_spec, scene_spec


def test_identical_specs_have_no_changes() -> None:
    assert diff_specs(persona_spec(), persona_spec()) == []


def test_nested_fields_examples_and_lists() -> None:
    before = persona_spec()
    after = persona_spec(
        name="Ada 2",
        character="You are Ada, a calm helper.",
        traits=Traits(warmth=0.9),
        guardrails=Guardrails(avoid_topics=["politics", "religion"]),
        examples=[ExampleExchange(user="Hi", assistant="Hey!"), ExampleExchange(user="Bye", assistant="See you.")],
        tags=["support"],
    )
    changes = diff_specs(before, after)
    assert changes == [
        FieldChange("name", "Ada", "Ada 2"),
        FieldChange("examples[0].assistant", "Hello there.", "Hey!"),
        FieldChange("examples[1]", None, {"user": "Bye", "assistant": "See you."}),
        FieldChange("traits.warmth", 0.7, 0.9),
        FieldChange("guardrails.avoid_topics", ["politics"], ["politics", "religion"]),
        FieldChange("tags", ["support", "calm"], ["support"]),
    ]
    removed = diff_specs(after, before)
    assert FieldChange("examples[1]", {"user": "Bye", "assistant": "See you."}, None) in removed


def test_scene_turn_taking_and_optional_fields() -> None:
    changes = diff_specs(scene_spec(), scene_spec(turn_taking=TurnTaking(silence_ms=900), language_override="zh"))
    assert changes == [
        FieldChange("turn_taking.silence_ms", 500, 900),
        FieldChange("language_override", None, "zh"),
    ]


def test_diff_refuses_different_kinds() -> None:
    with pytest.raises(TypeError, match="PersonaSpec against a SceneSpec"):
        diff_specs(persona_spec(), scene_spec())


def test_diff_versions_reads_stored_versions(session: Session) -> None:
    studio.create_item(session, kind="persona", spec=persona_spec(), author="k")
    studio.save_version(session, kind="persona", slug="ada", spec=persona_spec(speed=1.2), base_number=1, author="k")
    assert studio.diff_versions(session, kind="persona", slug="ada", a=1, b=2) == [FieldChange("speed", 1.0, 1.2)]
    assert studio.diff_versions(session, kind="persona", slug="ada", a=2, b=1) == [FieldChange("speed", 1.2, 1.0)]
