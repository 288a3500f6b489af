"""Roles enforced on the server, tested the way an attacker would: `gradio_client` calling the editing
endpoints directly (no buttons involved) as an anonymous caller, as a viewer and as an editor."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stepaudio_ui.package_data import packaged_folder
from stepaudio_ui.studio import library as studio
from stepaudio_ui.web.access import hash_password
from tests.browser_support import RunningApp, running_app

EDITOR = ("erin", "erin-secret-pw")
VIEWER = ("victor", "victor-secret-pw")


def _settings(data_dir: Path, **overrides: Any) -> Any:
    from stepaudio_ui.settings import Settings

    return Settings(data_dir=data_dir, seed_dir=packaged_folder("seeds"), warmup=False, _env_file=None, **overrides)


@pytest.fixture(scope="module")
def signed_in_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    users = {
        EDITOR[0]: {"role": "editor", "password_hash": hash_password(EDITOR[1])},
        VIEWER[0]: {"role": "viewer", "password_hash": hash_password(VIEWER[1])},
    }
    with running_app(_settings(tmp_path_factory.mktemp("roles-data"), users=users)) as app:
        yield app


def _client(app: RunningApp, auth: tuple[str, str] | None = None) -> Any:
    from gradio_client import Client

    return Client(app.url, auth=auth, verbose=False, download_files=False)


def _persona_form(name: str) -> list[Any]:
    """The persona save endpoint's inputs after author and note, in form order."""
    examples = {"headers": ["User says", "Persona replies"], "data": [["", ""]], "metadata": None}
    traits = [0.5, 0.2, 0.5, 0.5, 0.3]
    return [name, "en", "a tagline", "A character.", "Hello!", examples, *traits, "", "jf_alpha", 1.0, "", "", ""]


def _persona_count(app: RunningApp) -> int:
    with app.ctx.db.session() as s:
        return studio.count_items(s, kind="persona", include_archived=True)


def _published_slug(app: RunningApp) -> str:
    with app.ctx.db.session() as s:
        items = studio.list_items(s, kind="persona", limit=500)
    return next(item.slug for item in items if item.published_number)


def _refused(client: Any, *args: Any, api_name: str) -> str:
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError) as refused:
        client.predict(*args, api_name=api_name)
    return str(refused.value)


def test_anonymous_caller_cannot_reach_the_api(signed_in_app: RunningApp) -> None:
    before = _persona_count(signed_in_app)
    request = urllib.request.Request(
        signed_in_app.url + "gradio_api/call/persona_save",
        data=b'{"data": []}',
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)  # noqa: S310 - loopback
    assert refused.value.code == 401
    assert _persona_count(signed_in_app) == before


def test_viewer_is_refused_every_edit_and_nothing_changes(signed_in_app: RunningApp, tmp_path: Path) -> None:
    from gradio_client import handle_file

    viewer = _client(signed_in_app, VIEWER)
    before = _persona_count(signed_in_app)
    message = _refused(viewer, VIEWER[0], "note", *_persona_form("Sneaky"), api_name="/persona_save")
    assert "Not allowed to save a persona" in message and "'victor' is a viewer" in message
    assert "nothing was saved" in message
    assert "Not allowed to create" in _refused(viewer, api_name="/persona_new")

    slug = _published_slug(signed_in_app)
    viewer.predict("", "", "", False, api_name="/refresh_list")  # the list a page load shows
    viewer.predict(slug, api_name="/persona_open")  # browsing a published persona is allowed
    assert "Not allowed to archive" in _refused(viewer, api_name="/persona_archive")
    assert "Not allowed to publish" in _refused(viewer, 1, api_name="/persona_publish")
    assert "Not allowed to restore" in _refused(viewer, "x", 1, api_name="/persona_restore")
    assert "Not allowed to duplicate" in _refused(viewer, "x", "Copy", api_name="/persona_duplicate")
    assert "Not allowed to compare" in _refused(viewer, 1, 1, api_name="/persona_diff")
    upload = tmp_path / "p.persona.json"
    upload.write_text('{"format": "stepaudio-persona", "name": "x"}', encoding="utf-8")
    assert "Not allowed to import" in _refused(viewer, handle_file(str(upload)), "x", api_name="/persona_import")

    assert _persona_count(signed_in_app) == before
    with signed_in_app.ctx.db.session() as s:
        view = studio.get_default_version(s, kind="persona", slug=slug)
        assert view.published and not any(item.archived for item in studio.list_items(s, kind="persona", limit=500))


def test_editor_saves_and_viewer_cannot_see_the_unpublished_version(signed_in_app: RunningApp) -> None:
    editor = _client(signed_in_app, EDITOR)
    before = _persona_count(signed_in_app)
    editor.predict("typed name", "first draft", *_persona_form("Draft Dora"), api_name="/persona_save")
    assert _persona_count(signed_in_app) == before + 1
    with signed_in_app.ctx.db.session() as s:
        draft = next(i for i in studio.list_items(s, kind="persona", query="Draft Dora", limit=5))
        assert studio.get_version(s, kind="persona", slug=draft.slug).author == EDITOR[0]  # the signed-in name

    viewer = _client(signed_in_app, VIEWER)
    listed = viewer.predict("Draft Dora", "", "", False, api_name="/refresh_list")
    assert listed["choices"] == []  # the unpublished draft is not even listed for a viewer
    as_editor = editor.predict("Draft Dora", "", "", False, api_name="/refresh_list")
    assert [slug for _label, slug in as_editor["choices"]] == [draft.slug]
    # Even a caller that knows the slug gets nothing: the choice is not in the viewer's list.
    assert "not in the list of choices" in _refused(viewer, draft.slug, api_name="/persona_open")


def test_read_only_mode_refuses_anonymous_edits_with_a_clear_message(tmp_path: Path) -> None:
    with running_app(_settings(tmp_path / "data", read_only=True)) as app:
        before = _persona_count(app)
        message = _refused(_client(app), "me", "", *_persona_form("Nope"), api_name="/persona_save")
        assert "read-only mode (STEPAUDIO_READ_ONLY)" in message
        assert _persona_count(app) == before


def test_loopback_studio_without_sign_in_lets_its_local_user_edit(tmp_path: Path) -> None:
    with running_app(_settings(tmp_path / "data")) as app:
        before = _persona_count(app)
        _client(app).predict("me", "", *_persona_form("Local Lou"), api_name="/persona_save")
        assert _persona_count(app) == before + 1


def test_editor_import_over_the_size_limit_is_refused_and_nothing_changes(
    signed_in_app: RunningApp, tmp_path: Path
) -> None:
    from gradio_client import handle_file

    limit = signed_in_app.ctx.settings.max_import_bytes
    big = tmp_path / "big.persona.json"
    big.write_text('{"pad": "' + "x" * limit + '"}', encoding="utf-8")
    before = _persona_count(signed_in_app)
    message = _refused(_client(signed_in_app, EDITOR), handle_file(str(big)), "x", api_name="/persona_import")
    assert f"over the import limit of {limit:,} bytes" in message and "STEPAUDIO_MAX_IMPORT_BYTES" in message
    assert _persona_count(signed_in_app) == before


@pytest.mark.browser
def test_signed_in_viewer_page_hides_editing_and_lists_published_only(
    browser: Any, signed_in_app: RunningApp, output_dir: Path
) -> None:
    from playwright.sync_api import expect

    from tests.browser_support import UI_TIMEOUT_MS, tab

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        page.goto(signed_in_app.url)
        page.get_by_label("username").fill(VIEWER[0])
        page.get_by_label("password").fill(VIEWER[1])
        page.get_by_role("button", name="Login").click()  # the page reloads as the studio once signed in
        page.get_by_role("tab", name="Personas").wait_for(timeout=UI_TIMEOUT_MS)
        page.set_default_timeout(UI_TIMEOUT_MS)
        expect(page.locator(".role-line").first).to_contain_text(f"Signed in as {VIEWER[0]} · role: viewer")
        personas = tab(page, "personas")
        expect(personas.locator(".role-note").first).to_contain_text("You are browsing as a viewer")
        expect(personas.get_by_role("button", name="Save as new version")).to_be_hidden()
        expect(personas.get_by_role("button", name="New persona")).to_be_hidden()
        with signed_in_app.ctx.db.session() as s:
            published = [i for i in studio.list_items(s, kind="persona", limit=500) if i.published_number]
        expect(personas.locator(".item-list label")).to_have_count(len(published))
        page.screenshot(path=str(output_dir / "viewer-personas.png"), full_page=True)
    finally:
        context.close()
