"""Viewers reach published versions only, in every tab, enforced on the server: `gradio_client` calls the
Live, History and Quality endpoints directly as a viewer (and, in read-only mode, as an anonymous caller)
with unpublished items and version numbers, the way a curious stakeholder could."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import func, select

from stepaudio_ui.live import conversations
from stepaudio_ui.live.session import LiveSelection
from stepaudio_ui.package_data import packaged_folder
from stepaudio_ui.quality.tables import AbPreference, QualityRun
from stepaudio_ui.studio import library as studio
from stepaudio_ui.ui.ab_panel import scoped_config
from stepaudio_ui.ui.live_scope import RoleScopedLiveHandler, check_selection, role_from_args
from stepaudio_ui.web.access import AccessError, hash_password
from tests.browser_support import RunningApp, running_app

EDITOR = ("erin", "erin-secret-pw")
VIEWER = ("victor", "victor-secret-pw")
DRAFT_NAME = "Draft Dora"


def _settings(data_dir: Path, **overrides: Any) -> Any:
    from stepaudio_ui.settings import Settings

    return Settings(data_dir=data_dir, seed_dir=packaged_folder("seeds"), warmup=False, _env_file=None, **overrides)


def signed_in_users() -> dict[str, dict[str, str]]:
    """STEPAUDIO_USERS with one editor and one viewer."""
    return {
        EDITOR[0]: {"role": "editor", "password_hash": hash_password(EDITOR[1])},
        VIEWER[0]: {"role": "viewer", "password_hash": hash_password(VIEWER[1])},
    }


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    with running_app(_settings(tmp_path_factory.mktemp("scope-data"), users=signed_in_users())) as running:
        _add_drafts(running)
        yield running


def _add_drafts(app: RunningApp) -> None:
    """An unpublished persona, a v2 draft of the published persona, and one saved conversation."""
    with app.ctx.db.session() as s:
        published = _published(app)
        view = studio.get_version(s, kind="persona", slug=published)
        studio.create_item(s, kind="persona", spec=view.spec.model_copy(update={"name": DRAFT_NAME}), author="erin")
        changed = view.spec.model_copy(update={"tagline": "A draft tagline nobody approved."})
        studio.save_version(s, kind="persona", slug=published, spec=changed, base_number=1, author="erin", note="d")
        conversations.start_conversation(
            s, persona_slug=published, persona_version=2, scene_slug=_scene(app), scene_version=1, engine="embedded"
        )


def _published(app: RunningApp) -> str:
    with app.ctx.db.session() as s:
        items = studio.list_items(s, kind="persona", limit=500)
    return next(item.slug for item in items if item.published_number and item.name != DRAFT_NAME)


def _draft(app: RunningApp) -> str:
    with app.ctx.db.session() as s:
        return studio.list_items(s, kind="persona", query=DRAFT_NAME, limit=5)[0].slug


def _scene(app: RunningApp) -> str:
    with app.ctx.db.session() as s:
        return next(i.slug for i in studio.list_items(s, kind="scene", limit=500) if i.published_number)


def _client(app: RunningApp, auth: tuple[str, str] | None) -> Any:
    from gradio_client import Client

    return Client(app.url, auth=auth, verbose=False, download_files=False)


def _refused(client: Any, *args: Any, api_name: str) -> str:
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError) as refused:
        client.predict(*args, api_name=api_name)
    return str(refused.value)


def _slugs(update: dict[str, Any]) -> list[str]:
    return [choice[1] for choice in update["choices"]]


def test_live_pickers_list_published_versions_only_for_viewers(app: RunningApp) -> None:
    published, draft = _published(app), _draft(app)
    viewer, editor = _client(app, VIEWER), _client(app, EDITOR)
    persona_list, persona_versions, *_ = viewer.predict(None, None, api_name="/live_pickers")
    assert published in _slugs(persona_list) and draft not in _slugs(persona_list)
    assert len(_slugs(persona_versions)) == 2  # "published" and its number: no draft to pick
    assert persona_list["info"] == "Published personas only."  # the page says why drafts are missing
    as_editor, *_ = editor.predict(None, None, api_name="/live_pickers")
    assert draft in _slugs(as_editor)
    assert "drafts included" in as_editor["info"]

    versions = viewer.predict(published, api_name="/live_persona_versions")
    assert _slugs(versions) == ["published", 1]  # v2 is a draft: not offered
    assert _slugs(editor.predict(published, api_name="/live_persona_versions")) == ["published", 2, 1]
    assert "not in the list of choices" in _refused(viewer, draft, api_name="/live_persona_versions")


def test_live_preview_refuses_a_viewer_the_draft_text(app: RunningApp) -> None:
    published, scene = _published(app), _scene(app)
    viewer = _client(app, VIEWER)
    # The dropdown lists no v2 for a viewer, so the value is refused before the handler ...
    assert "not in the list of choices" in _refused(viewer, published, 2, scene, "published", api_name="/live_preview")
    # ... and the handler itself refuses it too (the value a dropdown would accept is not the rule).
    from stepaudio_ui.ui.live_panel import preview_instructions

    refused = preview_instructions(app.ctx, published, 2, scene, "published", role="viewer")
    assert refused.startswith("⚠️ Not allowed to preview persona") and "Pick the published version, v1" in refused
    assert "draft tagline" not in refused
    assert "⚠️ no published persona" in preview_instructions(app.ctx, _draft(app), None, scene, None, role="viewer")
    assert "draft tagline" in preview_instructions(app.ctx, published, 2, scene, "published", role="editor")


async def test_live_handler_refuses_a_viewers_unpublished_selection_before_opening(app: RunningApp) -> None:
    published, scene = _published(app), _scene(app)
    unpublished_version = LiveSelection(
        persona_slug=published, persona_version=2, scene_slug=scene, engine="no-such-engine"
    )
    handler = RoleScopedLiveHandler(app.ctx, registry=None)  # type: ignore[arg-type] - the check never uses it
    args = ["__webrtc_value__", "id", published, 2, scene, "published", "no-such-engine", "viewer"]
    # LiveHandler calls this hook before opening a conversation and before a mid-call switch.
    with pytest.raises(AccessError, match="viewers may use published versions only"):
        await handler.check_selection(unpublished_version, args)
    with pytest.raises(studio.NotFoundError, match="no published persona"):
        check_selection(app.ctx.db, unpublished_version.model_copy(update={"persona_slug": _draft(app)}), "viewer")
    # A viewer's published pick, and an editor's draft, pass the check.
    await handler.check_selection(unpublished_version, [*args[:-1], "editor"])
    check_selection(app.ctx.db, unpublished_version.model_copy(update={"persona_version": None}), "viewer")
    # The role comes from server-side State; a missing or odd value counts as a viewer.
    assert role_from_args(["id", "p", None, "s", None, "embedded"]) == "viewer"
    assert role_from_args(["id", "p", None, "s", None, "embedded", "admin"]) == "viewer"


def test_history_is_for_editors(app: RunningApp) -> None:
    viewer, editor = _client(app, VIEWER), _client(app, EDITOR)
    rows, picker, note = viewer.predict(api_name="/history_refresh")
    assert rows["value"]["data"] == [] and picker["choices"] == [] and "for editors" in note["value"]
    # The viewer's picker holds no conversation, so Gradio refuses any id before the handler runs.
    assert "is not in the list of choices: []" in _refused(viewer, 1, api_name="/history_show")
    editor_rows, editor_picker, _ = editor.predict(api_name="/history_refresh")
    assert len(editor_picker["choices"]) == 1


def test_check_runs_are_for_editors(app: RunningApp) -> None:
    viewer = _client(app, VIEWER)
    runs_before = _count(app, QualityRun)
    # No persona named: the handler's role check refuses before it looks at the form.
    message = _refused(viewer, None, None, "", "embedded", api_name="/check_run")
    assert "Not allowed to run checks" in message and "'victor' is a viewer" in message
    assert "Not allowed to read check runs" in _refused(viewer, None, api_name="/check_show_run")
    assert "Not allowed to compare check runs" in _refused(viewer, None, None, api_name="/check_compare_runs")
    # Stored runs are never listed for a viewer: any run id is refused by the empty picker.
    assert "is not in the list of choices: []" in _refused(viewer, 1, api_name="/check_show_run")
    assert "Not allowed to list check runs" in _refused(viewer, api_name="/check_refresh_runs")
    assert _count(app, QualityRun) == runs_before


def test_viewer_ab_is_blind_and_published_only(app: RunningApp) -> None:
    published, scene, draft = _published(app), _scene(app), _draft(app)
    viewer = _client(app, VIEWER)
    side = [published, None, scene, "embedded", None]  # None: the default brain
    assert "Viewers compare blind only" in _refused(viewer, *side, *side, "hi", False, None, api_name="/ab_send")
    drafted = [published, 2, scene, "embedded", None]
    assert "Not allowed to compare persona" in _refused(viewer, *drafted, *side, "hi", True, None, api_name="/ab_send")
    unlisted = _refused(viewer, draft, None, scene, "embedded", None, *side, "hi", True, None, api_name="/ab_send")
    assert "not in the list of choices" in unlisted  # the viewer's persona list holds published items only
    assert "Send a turn to both" in _refused(viewer, api_name="/ab_prefer_1")  # nothing sent: nothing to vote on
    assert _count(app, AbPreference) == 0
    # What a viewer's blank version resolves to: the published versions, never the latest draft.
    config = scoped_config(app.ctx, "viewer", published, None, scene, "embedded")
    assert (config.persona_version, config.scene_version) == (1, 1)
    assert scoped_config(app.ctx, "editor", published, None, scene, "embedded").persona_version is None


def test_read_only_anonymous_caller_is_a_viewer_everywhere(tmp_path: Path) -> None:
    with running_app(_settings(tmp_path / "data", read_only=True)) as app:
        anonymous = _client(app, None)
        message = _refused(anonymous, None, None, "", "embedded", api_name="/check_run")
        assert "Not allowed to run checks" in message and "read-only mode" in message
        assert "is not in the list of choices: []" in _refused(anonymous, 1, api_name="/history_show")
        side = [_published(app), None, _scene(app), "embedded", None]
        assert "Viewers compare blind only" in _refused(anonymous, *side, *side, "hi", False, None, api_name="/ab_send")


def _count(app: RunningApp, table: Any) -> int:
    with app.ctx.db.session() as s:
        return int(s.exec(select(func.count()).select_from(table)).one())
