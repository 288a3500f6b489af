"""A draft saved on top of a published persona stays out of a viewer's sight: lists, labels, tags, search,
the Live and Compose pickers all show the published version, called with `gradio_client` as a viewer.

The draft renames the persona, adds a tag and writes a secret tagline; a viewer searching for the
tagline must not find the persona, and no label or tag a viewer is sent may carry the draft's words.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from stepaudio_ui.studio import library as studio
from stepaudio_ui.studio.published_scope import published_items
from tests.browser_support import RunningApp, running_app
from tests.ui.test_viewer_scope import EDITOR, VIEWER, _settings, signed_in_users

DRAFT_NAME = "Codename Nightjar"
DRAFT_TAGLINE = "Classified launch tagline"
DRAFT_TAG = "secret-project"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    with running_app(_settings(tmp_path_factory.mktemp("drafts-data"), users=signed_in_users())) as running:
        yield running


@pytest.fixture(scope="module")
def drafted(app: RunningApp) -> tuple[str, str]:
    """(slug, published name) of a published persona that now has an unpublished v2 draft."""
    with app.ctx.db.session() as s:
        item = next(i for i in studio.list_items(s, kind="persona", limit=500) if i.published_number)
        view = studio.get_version(s, kind="persona", slug=item.slug, number=item.published_number)
        draft = view.spec.model_copy(update={"name": DRAFT_NAME, "tagline": DRAFT_TAGLINE, "tags": [DRAFT_TAG]})
        studio.save_version(
            s, kind="persona", slug=item.slug, spec=draft, base_number=item.latest_number, author="erin", note="d"
        )
    return item.slug, view.spec.name


def _client(app: RunningApp, auth: tuple[str, str]) -> Any:
    from gradio_client import Client

    return Client(app.url, auth=auth, verbose=False, download_files=False)


def _leaks(value: Any) -> bool:
    text = json.dumps(value, ensure_ascii=False).lower()
    return any(word.lower() in text for word in (DRAFT_NAME, DRAFT_TAGLINE, DRAFT_TAG))


def test_search_and_labels_show_a_viewer_the_published_version(app: RunningApp, drafted: tuple[str, str]) -> None:
    slug, published_name = drafted
    viewer, editor = _client(app, VIEWER), _client(app, EDITOR)
    assert viewer.predict("classified launch", "", "", False, api_name="/refresh_list")["choices"] == []
    assert viewer.predict("nightjar", "", "", False, api_name="/refresh_list")["choices"] == []
    with app.ctx.db.session() as s:  # (the page's tag picker refuses a tag it never offered, before this)
        assert published_items(s, kind="persona", tag=DRAFT_TAG) == ([], 0)
        assert [i.slug for i in studio.list_items(s, kind="persona", tag=DRAFT_TAG)] == [slug]  # editors' view
    found = viewer.predict(published_name.split()[0], "", "", False, api_name="/refresh_list")
    assert slug in [choice[1] for choice in found["choices"]]  # the published words still find it
    listed = viewer.predict("", "", "", False, api_name="/refresh_list")
    label = next(choice[0] for choice in listed["choices"] if choice[1] == slug)
    assert label.startswith(published_name) and "v2" not in label and not _leaks(listed)
    assert not _leaks(viewer.predict(api_name="/tag_choices"))
    # Editors see the draft: it is their work in progress.
    assert slug in [
        c[1] for c in editor.predict("classified launch", "", "", False, api_name="/refresh_list")["choices"]
    ]
    assert _leaks(editor.predict(api_name="/tag_choices"))


def test_live_and_compose_pickers_name_the_published_version(app: RunningApp, drafted: tuple[str, str]) -> None:
    slug, published_name = drafted
    viewer = _client(app, VIEWER)
    persona_list, *_ = viewer.predict(None, None, api_name="/live_pickers")
    assert (f"{published_name} ({slug})", slug) in [tuple(choice) for choice in persona_list["choices"]]
    assert not _leaks(persona_list)
    personas, _scenes = viewer.predict(api_name="/item_choices")
    assert not _leaks(personas) and slug in [choice[1] for choice in personas["choices"]]
