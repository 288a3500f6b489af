"""The persona editor in a real Chromium: versions, diff, restore, publish, export, conflicts, errors."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from stepaudio_ui.studio import library as studio
from stepaudio_ui.studio.specs import PersonaSpec
from tests.browser_support import RunningApp, choose, edit_cell, open_from_list, start_new_item, tab

pytestmark = pytest.mark.browser


def save(scope: Any, note: str) -> None:
    scope.get_by_label("Version note").fill(note)
    scope.get_by_role("button", name="Save as new version").click()


def test_create_edit_diff_restore_publish_export(page: Any, output_dir: Path, tmp_path: Path) -> None:
    personas = tab(page, "personas")
    status = personas.locator(".status")
    start_new_item(personas, "persona")
    expect(personas.get_by_label("Name", exact=True)).to_have_value("New persona")
    personas.get_by_label("Name", exact=True).fill("Test Pilot <b>One</b>")
    personas.get_by_label("Tagline").fill("Flies the test plane.")
    personas.get_by_label("Character / system prompt").fill("You are a calm test pilot who explains every step.")
    save(personas, "first draft")
    # Persona text is shown as text: the tags appear literally and no <b> element is created.
    expect(status).to_have_text("Saved Test Pilot <b>One</b> as v1.")
    expect(status.locator("b")).to_have_count(0)

    personas.get_by_label("Tagline").fill("Flies the test plane, slowly.")
    examples = personas.locator(".block").filter(has_text="Example exchanges").last
    edit_cell(page, examples, 0, "Are we safe?")
    edit_cell(page, examples, 1, "Yes. Checking the instruments now.")
    save(personas, "slower")
    expect(status).to_have_text("Saved Test Pilot <b>One</b> as v2.")
    history = personas.locator(".history-table")
    expect(history).to_contain_text("slower")
    expect(history).to_contain_text("first draft")

    personas.get_by_role("button", name="Show differences").click()  # defaults: v1 vs v2
    diff = personas.locator(".diff-table")
    expect(diff).to_contain_text("tagline")
    expect(diff).to_contain_text("Flies the test plane.")
    expect(diff).to_contain_text("Flies the test plane, slowly.")
    expect(diff).to_contain_text("Checking the instruments now.")
    page.screenshot(path=str(output_dir / "persona-diff.png"), full_page=True)

    choose(page, personas, "Version to restore or publish", "v1")
    personas.get_by_role("button", name="Restore as new version").click()
    expect(status).to_have_text("Restored v1 as v3.")
    expect(personas.get_by_label("Tagline")).to_have_value("Flies the test plane.")
    expect(history).to_contain_text("restored from v1")

    choose(page, personas, "Version to restore or publish", "v3")
    personas.get_by_role("button", name="Publish version").click()
    expect(status).to_contain_text("Published v3")
    expect(history.get_by_role("row").filter(has_text="restored from v1")).to_contain_text("published")
    expect(personas.locator(".editor-head")).to_contain_text("published v3")

    personas.get_by_text("Duplicate, archive, export and import").click()
    personas.get_by_role("button", name="Export JSON", exact=True).click()
    link = personas.locator(".export-file a").first
    expect(link).to_be_visible()
    with page.expect_download() as download_info:
        link.click()
    exported = Path(download_info.value.path()).read_text(encoding="utf-8")
    document = json.loads(exported)
    assert "Test Pilot <b>One</b>" in exported
    assert document["format"] == "stepaudio-persona"
    assert [v["number"] for v in document["versions"]] == [1, 2, 3]
    assert document["published_version"] == 3

    # A Character Card PNG goes out and comes back in through the upload, onto the same persona.
    personas.get_by_role("button", name="Export Character Card PNG").click()
    expect(personas.locator(".export-file a").first).to_have_attribute("href", re.compile(r"\.card\.png$"))
    with page.expect_download() as download_info:
        personas.locator(".export-file a").first.click()
    card_png = Path(download_info.value.path())
    assert card_png.read_bytes().startswith(b"\x89PNG")
    edited = tmp_path / "edited.card.png"
    edited.write_bytes(card_png.read_bytes())
    personas.locator(".import-file input[type=file]").set_input_files(str(edited))
    personas.get_by_role("button", name="Import file").click()
    expect(status).to_contain_text("Imported edited.card.png: persona test-pilot-b-one-b")
    page.screenshot(path=str(output_dir / "persona-exported.png"), full_page=True)


def test_bad_import_file_names_the_problem(page: Any, tmp_path: Path) -> None:
    personas = tab(page, "personas")
    personas.get_by_text("Duplicate, archive, export and import").click()
    bad = tmp_path / "not-a-persona.json"
    bad.write_text('{"hello": "world"}', encoding="utf-8")
    personas.locator(".import-file input[type=file]").set_input_files(str(bad))
    personas.get_by_role("button", name="Import file").click()
    toast = page.locator(".toast-body").filter(has_text="not-a-persona.json")
    expect(toast).to_contain_text("unknown format")


def test_stale_base_shows_conflict_and_keeps_edits(page: Any, studio_app: RunningApp, output_dir: Path) -> None:
    spec = PersonaSpec(name="Conflict Carol", character="You mediate between two editors.")
    with studio_app.ctx.db.session() as s:
        slug = studio.create_item(s, kind="persona", spec=spec, author="carol").slug
    personas = tab(page, "personas")
    open_from_list(personas, "Search personas", "Conflict Carol")
    expect(personas.get_by_label("Name", exact=True)).to_have_value("Conflict Carol")

    # Another editor saves v2 while this page still edits from v1.
    theirs = spec.model_copy(update={"greeting": "Hello from the other editor"})
    with studio_app.ctx.db.session() as s:
        studio.save_version(s, kind="persona", slug=slug, spec=theirs, base_number=1, author="dave", note="theirs")

    personas.get_by_label("Tagline").fill("My own tagline")
    save(personas, "mine")
    status = personas.locator(".status")
    expect(status).to_contain_text("Not saved: someone saved v2 (dave)")
    conflict = personas.locator(".conflict-table")
    expect(conflict).to_contain_text("greeting")
    expect(conflict).to_contain_text("Hello from the other editor")
    expect(personas.get_by_label("Tagline")).to_have_value("My own tagline")
    expect(personas.locator(".editor-head")).to_contain_text("editing from v1 · latest v2")
    expect(personas.locator(".history-table")).to_contain_text("theirs")
    page.screenshot(path=str(output_dir / "persona-conflict.png"), full_page=True)

    personas.get_by_role("button", name="Keep my edits and save over v2").click()
    expect(status).to_contain_text("now count as based on v2")
    personas.get_by_role("button", name="Save as new version").click()
    expect(status).to_have_text("Saved Conflict Carol as v3.")
    with studio_app.ctx.db.session() as s:
        latest = studio.get_version(s, kind="persona", slug=slug)
    assert (latest.number, latest.spec.tagline, latest.author) == (3, "My own tagline", "studio")


def test_invalid_field_is_named_and_nothing_saved(page: Any, studio_app: RunningApp) -> None:
    personas = tab(page, "personas")
    start_new_item(personas, "persona")
    expect(personas.get_by_label("Name", exact=True)).to_have_value("New persona")
    personas.get_by_label("Name", exact=True).fill("   ")
    personas.get_by_label("Character / system prompt").fill("")
    save(personas, "broken")
    toast = page.locator(".toast-body").filter(has_text="Please fix")
    expect(toast).to_contain_text("Name (name)")
    expect(toast).to_contain_text("Character / system prompt (character)")
    expect(toast).to_contain_text("Nothing was saved")
    with studio_app.ctx.db.session() as s:
        assert studio.list_items(s, kind="persona", query="broken") == []


def test_archive_hides_from_list_until_show_archived(page: Any, studio_app: RunningApp) -> None:
    spec = PersonaSpec(name="Archie Vault", character="You are kept for the record.", tags=["vault"])
    with studio_app.ctx.db.session() as s:
        studio.create_item(s, kind="persona", spec=spec, author="test")
    personas = tab(page, "personas")
    open_from_list(personas, "Search personas", "Archie Vault")
    personas.get_by_text("Duplicate, archive, export and import").click()
    personas.get_by_role("button", name="Archive", exact=True).click()
    expect(personas.locator(".status")).to_contain_text("Archived archie-vault")
    items = personas.locator(".item-list label")
    expect(items).to_have_count(0)
    personas.get_by_label("Show archived").check()
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text("Archie Vault · v1 · archived")
    personas.get_by_role("button", name="Unarchive").click()
    expect(personas.locator(".status")).to_contain_text("Unarchived archie-vault")
    personas.get_by_label("Show archived").uncheck()
    expect(items).to_have_count(1)
    expect(items.first).not_to_contain_text("archived")


def test_saving_without_changes_explains_instead_of_failing(page: Any) -> None:
    personas = tab(page, "personas")
    open_from_list(personas, "Search personas", "Nova")
    expect(personas.get_by_label("Tagline")).to_have_value("A calm co-pilot for the road.")
    save(personas, "no edits")
    toast = page.locator(".toast-body").filter(has_text="Nothing changed")
    expect(toast).to_contain_text("edit a field before saving")
