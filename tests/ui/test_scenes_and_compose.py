"""Scene tones on the shared editor, the composed-instructions preview, and the README screenshot.

The README screenshot is refreshed with `UPDATE_README_SCREENSHOT=1 pytest tests/ui -k readme`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from stepaudio_ui.package_data import packaged_folder
from stepaudio_ui.studio import library as studio
from stepaudio_ui.studio.specs import PersonaSpec, SceneSpec
from tests.browser_support import RunningApp, choose, open_from_list, tab

pytestmark = pytest.mark.browser


@pytest.fixture
def library(studio_app: RunningApp) -> dict[str, str]:
    """One persona and one scene tone of our own, so the test does not depend on the seed files."""
    persona = PersonaSpec(
        name="Harbor Guide",
        tagline="Knows every boat in the harbor.",
        character="You guide visitors around the harbor.",
        voice="jf_nezumi",
        speed=1.2,
        greeting="Ahoy, where shall we start?",
    )
    scene = SceneSpec(name="Windy Pier", mood="brisk and cheerful", pacing=0.9, verbosity=2)
    with studio_app.ctx.db.session() as s:
        found = studio.list_items(s, kind="persona", query="Harbor Guide")
        if found:
            return {"persona": found[0].slug, "scene": studio.list_items(s, kind="scene", query="Windy Pier")[0].slug}
        return {
            "persona": studio.create_item(s, kind="persona", spec=persona, author="test").slug,
            "scene": studio.create_item(s, kind="scene", spec=scene, author="test").slug,
        }


def test_scene_tone_edit_saves_a_version(library: dict[str, str], page: Any, studio_app: RunningApp) -> None:
    # `library` comes before `page` so the page loads with these items already listed.
    scenes = tab(page, "scenes")
    open_from_list(scenes, "Search scene tones", "Windy Pier")
    expect(scenes.get_by_label("Mood / emotional frame")).to_have_value("brisk and cheerful")
    scenes.get_by_label("Mood / emotional frame").fill("calm after the storm")
    scenes.get_by_label("Version note").fill("calmer")
    scenes.get_by_role("button", name="Save as new version").click()
    expect(scenes.locator(".status")).to_have_text("Saved Windy Pier as v2.")
    with studio_app.ctx.db.session() as s:
        latest = studio.get_version(s, kind="scene", slug=library["scene"])
    assert (latest.number, latest.spec.mood, latest.spec.verbosity, latest.spec.pacing) == (
        2,
        "calm after the storm",
        2,
        0.9,
    )


def test_compose_preview_shows_instructions_and_settings(library: dict[str, str], page: Any) -> None:
    compose = tab(page, "compose")
    choose(page, compose, "Persona", f"Harbor Guide ({library['persona']})")
    choose(page, compose, "Scene tone", f"Windy Pier ({library['scene']})")
    expect(compose.get_by_label("Persona version")).to_have_value("v1")
    compose.get_by_role("button", name="Compose preview").click()
    instructions = compose.get_by_label("Composed instructions")
    value = _wait_for_value(instructions)
    assert value.startswith("You are Harbor Guide. Knows every boat in the harbor.")
    assert "Scene: Windy Pier." in value
    settings = compose.locator(".session-settings")
    expect(settings).to_contain_text("jf_nezumi")
    expect(settings).to_contain_text("1.08")  # persona speed 1.2 x scene pacing 0.9
    expect(settings).to_contain_text("Ahoy, where shall we start?")


def _wait_for_value(locator: Any) -> str:
    expect(locator).not_to_have_value("")
    return str(locator.input_value())


def test_readme_screenshot_of_a_seed_persona(page: Any, output_dir: Path) -> None:
    personas = tab(page, "personas")
    seeds = personas.locator(".item-list label")
    expect(seeds.filter(has_text="Nova · v1")).to_have_count(1)  # the seed library is loaded
    seeds.filter(has_text="Nova").click()
    expect(personas.get_by_label("Tagline")).to_have_value("A calm co-pilot for the road.")
    expect(personas.locator(".history-table")).to_contain_text("published")
    page.screenshot(path=str(output_dir / "persona-editor.png"), full_page=True)
    if os.environ.get("UPDATE_README_SCREENSHOT") == "1":  # opt-in: a test run should not dirty tracked files
        page.screenshot(path=str(packaged_folder("assets") / "screenshot.png"), full_page=True)
