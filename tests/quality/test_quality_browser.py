"""The Quality tab in a real Chromium against a real app and the real embedded engine: A/B in blind mode with a
stored preference and win rates, then a check run and its stored report."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from stepaudio_ui.quality.tables import AbPreference
from stepaudio_ui.web.downloads import downloads_root
from tests.browser_support import RunningApp, choose, chromium, open_studio, running_app

pytestmark = pytest.mark.browser
REPLY_TIMEOUT_MS = 240_000  # two replies at once on a shared 2-core machine


@pytest.fixture(scope="module")
def quality_app(quality_settings, quality_models) -> Iterator[RunningApp]:  # noqa: ANN001 - settings, models
    # The app builds its engine from the same settings, so it reuses the models loaded for this test run.
    with running_app(quality_settings) as app:
        yield app


@pytest.fixture
def page(quality_app: RunningApp) -> Iterator[Any]:
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1400, "height": 1100})
        page = context.new_page()
        open_studio(page, quality_app.url)
        page.get_by_role("tab", name="Quality").click()
        yield page
        context.close()


def test_blind_ab_stores_the_preference_and_shows_win_rates(page: Any, quality_app: RunningApp, output_dir) -> None:  # noqa: ANN001
    quality = page.locator("#quality-tab")
    quality.get_by_role("tab", name="A/B").click()
    choose(page, quality, "A: persona", "nova-in-car")
    choose(page, quality, "A: scene tone", "in-car")
    choose(page, quality, "B: persona", "captain-grizzle")
    choose(page, quality, "B: scene tone", "showroom-demo")
    quality.get_by_label("User turn for both").fill("Hello, who are you?")
    expect(quality.get_by_label("Blind")).to_be_checked()
    wavs_before = set(downloads_root(quality_app.ctx.settings.data_dir).glob("*/ab-*.wav"))
    quality.get_by_role("button", name="Send to both").click()
    for number in (1, 2):
        expect(quality.get_by_label(f"Reply {number} latency")).to_have_value(
            re.compile(r"^\d+ ms to first audio$"), timeout=REPLY_TIMEOUT_MS
        )
        expect(quality.get_by_label(f"Reply {number} text")).not_to_have_value("")
    # Blind: the replies are not named until the listener picks one.
    expect(quality.get_by_text("on embedded")).to_have_count(0)
    assert quality.locator("audio").count() >= 2  # Gradio renders each player with its own audio elements
    # Two new WAVs (other tests of this run share the data folder and may have left theirs).
    assert len(set(downloads_root(quality_app.ctx.settings.data_dir).glob("*/ab-*.wav")) - wavs_before) == 2
    page.screenshot(path=str(output_dir / "quality-ab.png"), full_page=True)
    quality.get_by_role("button", name="Prefer reply 2").click()
    expect(quality.get_by_text("You preferred reply 2:")).to_be_visible()
    rates = quality.locator("table").last
    expect(rates).to_contain_text("100%")
    expect(rates).to_contain_text("0%")
    with quality_app.ctx.db.session() as session:
        (pref,) = session.exec(select(AbPreference)).all()
    assert pref.blind and pref.user_text == "Hello, who are you?"
    assert {pref.winner, pref.loser} == {
        "nova-in-car v1 x in-car v1 on embedded (qwen2.5-coder-0.5b)",
        "captain-grizzle v1 x showroom-demo v1 on embedded (qwen2.5-coder-0.5b)",
    }
    expect(quality.get_by_text(f"You preferred reply 2: {pref.winner}.")).to_be_visible()


def test_a_check_run_from_the_page_is_reported_and_stored(page: Any) -> None:
    quality = page.locator("#quality-tab")
    choose(page, quality, "Persona to check", "nova-in-car")
    card = quality.locator("#quality-voice-card")
    expect(card).to_contain_text("Voice: Alpha (jf_alpha) on embedded")
    expect(card).to_contain_text("Consent: Synthetic voice")
    quality.get_by_role("button", name="Run check").click()
    report = quality.locator("#check-report textarea")
    expect(report).to_have_value(
        re.compile(r"^Check run #\d+ nova-in-car v1 x in-car v1 on embedded: PASSED"), timeout=REPLY_TIMEOUT_MS
    )
    expect(report).to_have_value(re.compile(r"\[PASS\] must_mention:Nova"))
    expect(report).to_have_value(re.compile(r"License: Apache-2.0"))
