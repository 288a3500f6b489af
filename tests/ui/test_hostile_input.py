"""Hostile persona text is shown as text in every tab of a real Chromium, and exports of it stay valid.

The library holds only a persona named like an XSS payload, with a `<script>` greeting, and a scene
tone named the same way. A JavaScript dialog opening anywhere, or an <img src=x> element being
created, fails the test; the literal text must be visible where the name is shown.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from stepaudio_ui.exchange import chara_card
from stepaudio_ui.exchange import formats as io_formats
from stepaudio_ui.live import conversations
from stepaudio_ui.studio import library as studio
from stepaudio_ui.studio.specs import PersonaSpec, SceneSpec, slugify
from tests.browser_support import RunningApp, choose, open_studio, running_app, tab

pytestmark = pytest.mark.browser

HOSTILE_NAME = "<img src=x onerror=alert(1)>"
HOSTILE_GREETING = "<script>alert(1)</script> Hello!"
HOSTILE_SCENE = "<svg onload=alert(2)>"
PERSONA_SLUG = slugify(HOSTILE_NAME)  # slugs keep only a-z, 0-9 and "-"


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    from stepaudio_ui.bootstrap import open_database
    from stepaudio_ui.settings import Settings

    data_dir = tmp_path_factory.mktemp("hostile-data")
    # The hostile items exist before the app is built: the Live tab lists the library at build time.
    settings = Settings(data_dir=data_dir, seed_dir=data_dir / "no-seeds", warmup=False, _env_file=None)
    db = open_database(settings)
    persona = PersonaSpec(
        name=HOSTILE_NAME,
        tagline="<b>bold?</b>",
        character="You are <i>hostile</i>: </textarea><script>alert(3)</script>",
        greeting=HOSTILE_GREETING,
        tags=["<u>x</u>"],
    )
    with db.session() as s:
        slug = studio.create_item(s, kind="persona", spec=persona, author="<b>mallory</b>").slug
        studio.publish_version(s, kind="persona", slug=slug, number=1)
        scene_slug = studio.create_item(s, kind="scene", spec=SceneSpec(name=HOSTILE_SCENE), author="m").slug
        studio.publish_version(s, kind="scene", slug=scene_slug, number=1)
        conversation = conversations.start_conversation(
            s, persona_slug=slug, persona_version=1, scene_slug=scene_slug, scene_version=1, engine="embedded"
        )
        conversations.add_turn(s, conversation_id=conversation, role="user", text=HOSTILE_NAME)
        conversations.add_turn(s, conversation_id=conversation, role="assistant", text=HOSTILE_GREETING)
        conversations.end_conversation(s, conversation_id=conversation)
    db.dispose()
    with running_app(settings) as app:
        yield app


@pytest.fixture
def watched_page(browser: Any, hostile_app: RunningApp) -> Iterator[tuple[Any, list[str]]]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    dialogs: list[str] = []

    def record(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    open_studio(page, hostile_app.url)
    try:
        yield page, dialogs
    finally:
        context.close()


def _no_injected_elements(page: Any) -> None:
    expect(page.locator("img[src='x']")).to_have_count(0)
    expect(page.locator("svg[onload]")).to_have_count(0)


def test_hostile_text_is_shown_as_text_in_every_tab(watched_page: tuple[Any, list[str]], output_dir: Path) -> None:
    page, dialogs = watched_page

    personas = tab(page, "personas")
    item = personas.locator(".item-list label").filter(has_text=HOSTILE_NAME)
    expect(item).to_have_count(1)  # the list label is the literal name
    item.click()
    expect(personas.locator(".status")).to_contain_text(f"Opened {HOSTILE_NAME} v1.")
    expect(personas.get_by_label("Name", exact=True)).to_have_value(HOSTILE_NAME)
    expect(personas.get_by_label("Greeting")).to_have_value(HOSTILE_GREETING)
    expect(personas.locator(".history-table")).to_contain_text("<b>mallory</b>")
    _no_injected_elements(page)

    scenes = tab(page, "scenes")
    expect(scenes.locator(".item-list label").filter(has_text=HOSTILE_SCENE)).to_have_count(1)

    compose = tab(page, "compose")
    choose(page, compose, "Persona", f"{HOSTILE_NAME} ({PERSONA_SLUG})")
    choose(page, compose, "Scene tone", f"{HOSTILE_SCENE} ({slugify(HOSTILE_SCENE)})")
    compose.get_by_role("button", name="Compose preview").click()
    expect(compose.get_by_label("Composed instructions")).to_have_value(_contains(HOSTILE_NAME))
    expect(compose.locator(".session-settings")).to_contain_text(HOSTILE_GREETING)
    _no_injected_elements(page)

    live = tab(page, "live")
    expect(live.locator("#live-persona input")).to_have_value(_contains(f"{HOSTILE_NAME} ({PERSONA_SLUG})"))
    live.get_by_text("Composed instructions (what the engine receives)").click()
    expect(live.locator("#live-instructions textarea")).to_have_value(_contains(HOSTILE_NAME))
    _no_injected_elements(page)

    history = tab(page, "history")
    history.locator("#history-picker input").click()
    page.get_by_role("option").first.click()
    transcript = history.locator("#history-transcript")
    expect(transcript).to_contain_text(HOSTILE_NAME)
    expect(transcript).to_contain_text("<script>alert(1)</script>")
    _no_injected_elements(page)

    page.screenshot(path=str(output_dir / "hostile-input-history.png"), full_page=True)
    page.wait_for_timeout(500)  # a late onerror/onload would fire by now
    assert dialogs == []


def _contains(text: str) -> Any:
    import re

    return re.compile(re.escape(text))


def test_exports_of_hostile_persona_stay_valid(hostile_app: RunningApp) -> None:
    from PIL import Image

    slug = PERSONA_SLUG
    with hostile_app.ctx.db.session() as s:
        ours = json.loads(io_formats.export_bytes(s, kind="persona", slug=slug, fmt="stepaudio"))
        card = json.loads(io_formats.export_bytes(s, kind="persona", slug=slug, fmt="chara-json"))
        png = io_formats.export_bytes(s, kind="persona", slug=slug, fmt="chara-png")
    assert ours["versions"][0]["spec"]["name"] == HOSTILE_NAME
    assert ours["versions"][0]["spec"]["greeting"] == HOSTILE_GREETING
    assert card["data"]["name"] == HOSTILE_NAME
    with Image.open(io.BytesIO(png)) as image:
        image.verify()  # a well-formed PNG
    assert chara_card.card_from_png(png)["data"]["name"] == HOSTILE_NAME
