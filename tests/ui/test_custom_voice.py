"""Custom voices in a real Chromium: upload a clip, see its card on the persona page, publish refused, then allowed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from stepaudio_ui.package_data import packaged_folder
from stepaudio_ui.studio import library as studio
from tests.browser_support import RunningApp, choose, start_new_item, tab

pytestmark = pytest.mark.browser

CLIP = packaged_folder("assets") / "voices" / "jf_nezumi.wav"  # synthetic, speech-like


def test_upload_card_on_persona_page_publish_refused_until_consent(
    page: Any, studio_app: RunningApp, output_dir: Path
) -> None:
    voices = tab(page, "voices")
    voices.locator(".voice-clip input[type=file]").set_input_files(str(CLIP))
    expect(voices.locator(".voice-clip")).to_contain_text("jf_nezumi.wav")  # the upload has arrived
    voices.get_by_label("Voice name").fill("Dana Test")
    voices.get_by_label("Source of the voice (who / where)").fill("Recorded in studio B with Dana")
    voices.get_by_role("button", name="Save custom voice").click()
    status = voices.locator("#voice-status")
    expect(status).to_contain_text("Saved custom voice Dana Test as custom-dana-test")
    expect(status).to_contain_text("Provenance incomplete")
    expect(voices.locator("#voices-table")).to_contain_text("custom-dana-test")
    expect(voices.locator("#custom-voice-card")).to_contain_text("Consent: NOT ON RECORD")

    personas = tab(page, "personas")
    start_new_item(personas, "persona")
    expect(personas.get_by_label("Name", exact=True)).to_have_value("New persona")
    personas.get_by_label("Name", exact=True).fill("Clone Pilot")
    personas.get_by_label("Character / system prompt").fill("You are a pilot who speaks in Dana's voice.")
    choose(page, personas, "Voice", "Dana Test (custom-dana-test, custom voice, provenance incomplete)")
    card = personas.locator("#persona-voice-card")
    expect(card).to_contain_text("custom-dana-test")
    expect(card).to_contain_text("Recorded in studio B with Dana")
    expect(card).to_contain_text("cannot clone a voice from a clip")
    expect(card).to_contain_text("provenance incomplete")
    personas.get_by_label("Version note").fill("first")
    personas.get_by_role("button", name="Save as new version").click()
    expect(personas.locator(".status")).to_have_text("Saved Clone Pilot as v1.")  # saving is allowed
    page.screenshot(path=str(output_dir / "persona-custom-voice-card.png"), full_page=True)

    choose(page, personas, "Version to restore or publish", "v1")
    personas.get_by_role("button", name="Publish version").click()
    toast = page.locator(".toast-body").filter(has_text="cannot be published")
    expect(toast).to_contain_text("Consent: speaker's name")
    expect(toast).to_contain_text("License / terms of use")
    expect(toast).to_contain_text("Voices tab")
    with studio_app.ctx.db.session() as s:
        assert studio.get_version(s, kind="persona", slug="clone-pilot").published is False
    toast.locator("xpath=..").locator("..").get_by_role("button").first.click()  # close the toast

    voices = tab(page, "voices")
    choose(page, voices, "Custom voice", "Dana Test (custom-dana-test)")
    expect(voices.get_by_label("Voice name")).to_have_value("Dana Test")
    voices.get_by_label("License / terms of use").fill("Internal use for Acme personas")
    voices.get_by_label("Consent: speaker's name").fill("Dana Test")
    voices.get_by_label("Consent: how it was given").fill("signed release form HR-2291")
    voices.get_by_label("Consent: date (YYYY-MM-DD)").fill("2026-01-15")
    voices.get_by_label("Consent: scope").fill("in-car assistant personas")
    voices.get_by_role("button", name="Save custom voice").click()
    expect(voices.locator("#voice-status")).to_contain_text("Updated custom voice Dana Test (custom-dana-test).")

    personas = tab(page, "personas")
    choose(page, personas, "Version to restore or publish", "v1")
    personas.get_by_role("button", name="Publish version").click()
    expect(personas.locator(".status")).to_contain_text("Published v1")
