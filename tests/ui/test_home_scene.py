"""A persona's home scene in a real Chromium: the Live tab preselects it when a persona is picked (no scene
tone for a persona without one), and the persona editor shows it and saves a change to it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from stepaudio_ui.bench.live_browser import LivePage
from stepaudio_ui.studio import library as studio
from tests.browser_support import RunningApp, choose, open_from_list, tab

pytestmark = pytest.mark.browser


def _scene_picker(page: Any) -> Any:
    return page.locator("#live-tab").get_by_label("Scene tone", exact=True)


def test_live_tab_preselects_the_home_scene_of_the_picked_persona(page: Any) -> None:
    live = LivePage(page)
    live.show()
    # On page load the first persona by name (Aurelia) is shown with her home scene.
    expect(page.locator("#live-tab").get_by_label("Persona", exact=True)).to_have_value("Aurelia (aurelia-concierge)")
    expect(_scene_picker(page)).to_have_value("Showroom demo (showroom-demo)")

    live.choose("live-persona", "Nova (nova-in-car)")
    expect(_scene_picker(page)).to_have_value("In the car (in-car)")
    instructions = page.locator("#live-instructions textarea")
    expect(instructions).to_have_value(re.compile(r"Scene: In the car\."))

    live.choose("live-persona", "Captain Grizzle (captain-grizzle)")  # no home scene: none, not the first one
    expect(_scene_picker(page)).to_have_value("No scene tone (neutral)")
    expect(instructions).to_have_value(re.compile(r"^You are Captain Grizzle\."))
    expect(instructions).not_to_have_value(re.compile("Scene:"))  # the preview follows the scene picker

    live.choose("live-scene", "Bedtime story (bedtime-story)")  # a pick of one's own is still possible
    expect(instructions).to_have_value(re.compile(r"Scene: Bedtime story\."))


def test_the_persona_editor_shows_and_saves_the_home_scene(page: Any, studio_app: RunningApp) -> None:
    personas = tab(page, "personas")
    open_from_list(personas, "Search personas", "Sam")
    home = personas.get_by_label("Home scene tone")
    expect(home).to_have_value("Support desk (support-desk)")
    choose(page, personas, "Home scene tone", "中文服务热线 (zh-hotline)")
    personas.get_by_label("Version note").fill("answers the Chinese hotline")
    personas.get_by_role("button", name="Save as new version").click()
    expect(personas.locator(".status")).to_contain_text("as v2")
    with studio_app.ctx.db.session() as s:
        saved = studio.get_version(s, kind="persona", slug="sam-support")
    assert (saved.number, saved.spec.home_scene) == (2, "zh-hotline")  # type: ignore[union-attr]

    choose(page, personas, "Home scene tone", "None: no scene tone (a neutral frame)")
    personas.get_by_label("Version note").fill("no scene")
    personas.get_by_role("button", name="Save as new version").click()
    expect(personas.locator(".status")).to_contain_text("as v3")
    with studio_app.ctx.db.session() as s:
        assert studio.get_version(s, kind="persona", slug="sam-support").spec.home_scene is None  # type: ignore[union-attr]
