"""The page in English or Chinese, in the real Chromium: the browser's language by default, and the switch.

A zh-CN browser gets the Chinese page (tab names, labels, info lines, choices, table headers, the server's
status lines and errors); an en-US one the English page. The switch reloads the page in the other language
and remembers it; it asks first when something typed would be lost by the reload.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from stepaudio_ui.ui.i18n import catalog
from tests.browser_support import UI_TIMEOUT_MS, RunningApp

pytestmark = pytest.mark.browser

EN, ZH = catalog("en"), catalog("zh")
TABS = ["personas", "scenes", "compose", "live", "history", "voices", "quality"]


@pytest.fixture
def opened(browser: Any, studio_app: RunningApp) -> Iterator[Any]:
    """open(locale) -> a page of the studio in a fresh browser profile speaking `locale`."""
    contexts = []

    def open_page(locale: str) -> Any:
        context = browser.new_context(locale=locale, viewport={"width": 1400, "height": 1000})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(UI_TIMEOUT_MS)
        page.goto(studio_app.url)
        page.locator(".item-list").first.wait_for()
        return page

    yield open_page
    for context in contexts:
        context.close()


def expect_tabs(page: Any, texts: dict[str, str]) -> None:
    for tab_id in TABS:
        expect(page.get_by_role("tab", name=texts[f"tab.{tab_id}"], exact=True)).to_be_visible()


def expect_no_untranslated_marker(page: Any) -> None:
    assert "__i18n__" not in page.locator("body").inner_text()


@pytest.mark.parametrize("locale", ["zh-CN", "zh-TW"])
def test_a_chinese_browser_gets_the_chinese_page(opened: Any, locale: str) -> None:
    page = opened(locale)
    expect_tabs(page, ZH)
    expect(page.locator("#language-switch input[value='zh']")).to_be_checked()
    personas = page.locator("#personas-tab")
    # Built into the page (translated in the browser) ...
    expect(personas.get_by_label(ZH["editor.persona.search"])).to_be_visible()
    expect(personas.get_by_role("button", name=ZH["editor.save"])).to_be_visible()
    expect(personas.get_by_text(ZH["persona.trait.warmth.info"])).to_be_visible()
    # The new-persona template the page starts with, and the headers of its example exchanges.
    expect(personas.get_by_label(ZH["persona.name"], exact=True)).to_have_value(ZH["persona.template.name"])
    expect(personas.get_by_label(ZH["persona.tagline"], exact=True)).to_have_value(ZH["persona.template.tagline"])
    expect(personas.get_by_text(ZH["persona.examples.user"], exact=True).first).to_be_visible()
    # ... and written by the server in the page's language: the list's count, the choices, a table's headers.
    expect(personas.locator(".item-list")).to_contain_text(
        re.compile(re.escape(ZH["editor.persona.many"]) + r"（\d+）")
    )
    personas.get_by_label(ZH["editor.language"], exact=True).click()
    expect(page.get_by_role("option", name=ZH["editor.any_language"], exact=True)).to_be_visible()
    page.keyboard.press("Escape")
    expect(personas.locator(".history-table")).to_contain_text(ZH["editor.column.saved"])
    # An error written by a handler.
    personas.get_by_role("button", name=ZH["editor.show_diff"]).click()
    expect(page.get_by_text(ZH["editor.persona.open_first"])).to_be_visible()
    # The Live tab: the pickers' info lines, the conversation button fastrtc draws, the status line.
    page.get_by_role("tab", name=ZH["tab.live"], exact=True).click()
    live = page.locator("#live-tab")
    expect(live.get_by_text(ZH["live.info.editor"].format(things=ZH["live.things.persona"]))).to_be_visible()
    expect(live.locator("#live-webrtc")).to_contain_text(ZH["live.button.access"])
    expect(live.locator("#live-status")).to_contain_text(ZH["live.press_start"].replace("**", ""))
    expect_no_untranslated_marker(page)


def test_an_english_browser_gets_the_english_page(opened: Any) -> None:
    page = opened("en-US")
    expect_tabs(page, EN)
    expect(page.locator("#language-switch input[value='en']")).to_be_checked()
    personas = page.locator("#personas-tab")
    expect(personas.get_by_label(EN["editor.persona.search"])).to_be_visible()
    expect(personas.locator(".item-list")).to_contain_text(re.compile(r"Personas \(\d+\)"))
    expect(personas.get_by_label(EN["persona.name"], exact=True)).to_have_value(EN["persona.template.name"])
    expect(personas.get_by_text(EN["persona.examples.user"], exact=True).first).to_be_visible()
    expect(personas.locator(".history-table")).to_contain_text(EN["editor.column.saved"])
    expect_no_untranslated_marker(page)


def test_the_switch_changes_the_language_and_remembers_it(opened: Any, studio_app: RunningApp) -> None:
    page = opened("en-US")
    page.locator("#language-switch").get_by_text("简体中文").click()  # reloads the page
    expect_tabs(page, ZH)
    expect(page.locator("#personas-tab .item-list")).to_contain_text(ZH["editor.persona.many"] + "（")
    page.goto(studio_app.url)  # a later visit in the same browser profile keeps the choice
    expect_tabs(page, ZH)
    expect(page.locator("#language-switch input[value='zh']")).to_be_checked()
    page.locator("#language-switch").get_by_text("English").click()
    expect_tabs(page, EN)
    expect(page.locator("#personas-tab .item-list")).to_contain_text("Personas (")


def test_the_switch_asks_before_a_reload_loses_what_was_typed(opened: Any) -> None:
    page = opened("en-US")
    name = page.locator("#personas-tab").get_by_label("Name", exact=True)
    name.fill("Half-typed name")
    questions: list[str] = []

    def decline(dialog: Any) -> None:
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", decline)
    page.locator("#language-switch").get_by_text("简体中文").click()
    expect(page.locator("#language-switch input[value='en']")).to_be_checked()
    assert questions == [EN["lang.confirm"]]
    expect(name).to_have_value("Half-typed name")  # nothing was lost: no reload, still English
    expect_tabs(page, EN)

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#language-switch").get_by_text("简体中文").click()
    expect_tabs(page, ZH)
