"""The Quality tab's persona version boxes start blank (the latest version), not at 0, in a real Chromium:
a None value alone shows 0 in Gradio's number box, which reads as a version number that does not exist."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_the_persona_version_boxes_start_blank(page: Any) -> None:
    page.get_by_role("tab", name="Quality").click()
    quality = page.locator("#quality-tab")
    checks_version = quality.get_by_label("Persona version (blank: latest)", exact=True)
    expect(checks_version).to_have_value("")
    expect(checks_version).to_have_attribute("placeholder", "latest")
    quality.get_by_role("tab", name="A/B").click()
    for side in ("A", "B"):
        expect(quality.get_by_label(f"{side}: persona version (blank: latest; viewers: published)")).to_have_value("")
