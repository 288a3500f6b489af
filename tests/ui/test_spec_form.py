"""The form <-> spec bindings of both editors, without a browser: every field round-trips, errors name fields."""

from __future__ import annotations

import json
from pathlib import Path

import gradio as gr
import pytest
from pydantic import ValidationError

from stepaudio_ui.context import AppContext
from stepaudio_ui.package_data import packaged_folder
from stepaudio_ui.studio.specs import PersonaSpec, SceneSpec
from stepaudio_ui.ui import personas_panel, scenes_panel
from stepaudio_ui.ui.render import describe_validation_error, status_html


def _latest_spec(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))["versions"][-1]["spec"]


@pytest.fixture
def ctx(settings) -> AppContext:  # noqa: ANN001 - the shared Settings fixture
    return AppContext(settings=settings, db=None, engines={})


@pytest.mark.parametrize("seed", sorted((packaged_folder("seeds") / "personas").glob("*.json")), ids=lambda p: p.stem)
def test_every_seed_persona_round_trips_through_the_form(seed: Path, ctx: AppContext) -> None:
    spec = PersonaSpec.model_validate(_latest_spec(seed))
    with gr.Blocks():
        form = personas_panel.build_form(ctx)
    values = form.to_form(spec)
    assert form.to_spec(values) == spec
    assert {binding.path.split(".")[0] for binding in form.fields} == set(PersonaSpec.model_fields)


@pytest.mark.parametrize("seed", sorted((packaged_folder("seeds") / "scenes").glob("*.json")), ids=lambda p: p.stem)
def test_every_seed_scene_round_trips_through_the_form(seed: Path, ctx: AppContext) -> None:
    spec = SceneSpec.model_validate(_latest_spec(seed))
    with gr.Blocks():
        form = scenes_panel.build_form(ctx)
    assert form.to_spec(form.to_form(spec)) == spec
    assert {binding.path.split(".")[0] for binding in form.fields} == set(SceneSpec.model_fields)


def test_form_values_convert_the_way_a_writer_types_them(ctx: AppContext) -> None:
    with gr.Blocks():
        form = personas_panel.build_form(ctx)
    values = dict(zip((b.path for b in form.fields), form.to_form(personas_panel.TEMPLATE), strict=True))
    values |= {
        "name": "Mia",
        "examples": [["Hi", "Hello!"], ["", ""], [None, None]],  # blank rows are ignored
        "guardrails.avoid_topics": "politics\n\n  religion  \n",
        "tags": "Travel, zh，  Guide ",
    }
    spec = form.to_spec(list(values.values()))
    assert [e.model_dump() for e in spec.examples] == [{"user": "Hi", "assistant": "Hello!"}]
    assert spec.guardrails.avoid_topics == ["politics", "religion"]
    assert spec.tags == ["travel", "zh", "guide"]


def test_validation_errors_name_the_label_path_and_row(ctx: AppContext) -> None:
    with gr.Blocks():
        form = personas_panel.build_form(ctx)
    values = dict(zip((b.path for b in form.fields), form.to_form(personas_panel.TEMPLATE), strict=True))
    values |= {"character": "", "examples": [["Hi", ""]], "traits.warmth": 1.5}
    with pytest.raises(ValidationError) as caught:
        form.to_spec(list(values.values()))
    message = describe_validation_error(caught.value, form.labels)
    assert "Character / system prompt (character)" in message
    assert "Example exchanges row 1 (examples.0.assistant)" in message
    assert "Warmth (traits.warmth)" in message
    assert message.endswith("Nothing was saved.")


def test_status_text_is_escaped() -> None:
    html = status_html('<img src=x onerror="alert(1)">', "error")
    assert "<img" not in html and "&lt;img" in html


def test_a_fresh_form_shows_the_spec_defaults_not_the_widgets_own(ctx: AppContext) -> None:
    """Before anyone presses New, the page must not show sliders at 0, speed 0.5 or the first voice."""
    from model.embedded.engine import EmbeddedEngine
    from stepaudio_ui.engines import remote_engines
    from stepaudio_ui.ui.page import Page
    from stepaudio_ui.web.access import AccessPolicy

    ctx.engines = {"embedded": EmbeddedEngine(), **remote_engines(ctx.settings)}  # voices listed, nothing loaded
    with gr.Blocks() as demo:
        author = gr.Textbox()
        page = Page(ctx=ctx, demo=demo, author=author, policy=AccessPolicy(anonymous_role="editor"))
        persona_form = personas_panel.build(page).form
        scene_form = scenes_panel.build(page).form
    shown = {binding.path: binding.component.value for binding in persona_form.fields}
    defaults = PersonaSpec(name="x", character="x")
    assert shown["voice"] == defaults.voice == "jf_alpha"
    assert shown["speed"] == defaults.speed == 1.0
    assert [shown[f"traits.{key}"] for key, _l, _i in personas_panel.TRAITS] == list(
        defaults.traits.model_dump().values()
    )
    assert shown["examples"]["data"] == [["", ""]]
    scene_shown = {binding.path: binding.component.value for binding in scene_form.fields}
    scene_defaults = SceneSpec(name="x")
    assert scene_shown["pacing"] == scene_defaults.pacing
    assert scene_shown["verbosity"] == scene_defaults.verbosity
    assert scene_shown["turn_taking.silence_ms"] == scene_defaults.turn_taking.silence_ms
