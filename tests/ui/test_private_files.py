"""Files of real people stay private: a viewer cannot fetch a custom voice's reference recording, and the
files made for download (conversation exports, persona exports, clip previews) live in the data
directory, readable by this user only (0700 folders, 0600 files), and old ones are deleted.

Attacks reproduced: a viewer called the voice picker's endpoint and got the recording's URL; exports went
to a predictable folder in the shared /tmp with the default umask, and were never deleted.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stepaudio_ui.live import conversations
from stepaudio_ui.package_data import SEEDS, packaged_folder
from stepaudio_ui.studio import library as studio
from stepaudio_ui.studio.custom_voices import create_custom_voice
from stepaudio_ui.web.access import hash_password
from stepaudio_ui.web.downloads import downloads_root
from tests.browser_support import RunningApp, running_app
from tests.store.voice_clips import packaged_clip

EDITOR = ("erin", "erin-secret-pw")
VIEWER = ("victor", "victor-secret-pw")
KEPT = 3


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    from stepaudio_ui.bootstrap import open_database
    from stepaudio_ui.settings import Settings

    users = {
        EDITOR[0]: {"role": "editor", "password_hash": hash_password(EDITOR[1])},
        VIEWER[0]: {"role": "viewer", "password_hash": hash_password(VIEWER[1])},
    }
    data_dir = tmp_path_factory.mktemp("private-files")
    settings = Settings(
        data_dir=data_dir, seed_dir=packaged_folder(SEEDS), warmup=False, users=users, max_kept_downloads=KEPT,
        _env_file=None,
    )  # fmt: skip
    db = open_database(settings)  # the custom voice exists before the page is built: the picker lists it
    with db.session() as s:
        data = {"name": "Dana Real", "provenance": {"source": "recorded with Dana"}}
        create_custom_voice(s, data=data, clip=packaged_clip(), author="erin", max_clip_bytes=5_000_000)
        persona = next(i.slug for i in studio.list_items(s, kind="persona", limit=50) if i.published_number)
        talk = conversations.start_conversation(
            s, persona_slug=persona, persona_version=1, scene_slug=None, scene_version=None, engine="embedded"
        )
        conversations.add_turn(s, conversation_id=talk, role="user", text="Hello there")
        conversations.end_conversation(s, conversation_id=talk)
    db.dispose()
    with running_app(settings) as running:
        yield running


def _client(app: RunningApp, auth: tuple[str, str]) -> Any:
    from gradio_client import Client

    return Client(app.url, auth=auth, verbose=False, download_files=False)


def _history_client(app: RunningApp) -> Any:
    """An editor whose History picker has been filled, as a page load does."""
    editor = _client(app, EDITOR)
    editor.predict(api_name="/history_refresh")
    return editor


def _conversation_id(app: RunningApp) -> int:
    with app.ctx.db.session() as s:
        return conversations.list_conversations(s, limit=1)[0].id


def _is_private(path: Path, mode: int) -> bool:
    return stat.S_IMODE(path.stat().st_mode) == mode


def test_a_viewer_cannot_fetch_a_custom_voice_recording(app: RunningApp) -> None:
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError) as refused:
        _client(app, VIEWER).predict("custom-dana-real", api_name="/pick")
    assert "Not allowed to listen to a custom voice's reference clip" in str(refused.value)
    assert "'victor' is a viewer" in str(refused.value)

    shown = _client(app, EDITOR).predict("custom-dana-real", api_name="/pick")
    assert "custom-dana-real" in str(shown) and ".wav" in str(shown)  # the editor hears the stored clip


def test_conversation_exports_are_private_in_the_data_dir(app: RunningApp) -> None:
    editor = _history_client(app)
    _transcript, _details, files = editor.predict(_conversation_id(app), api_name="/history_show")
    assert {Path(item["path"]).suffix for item in files} >= {".json", ".md"}
    root = downloads_root(app.ctx.settings.data_dir)
    written = sorted(root.glob("*/conversation-*"))
    assert {path.suffix for path in written} >= {".json", ".md"}
    assert _is_private(root, 0o700)
    assert all(_is_private(path.parent, 0o700) and _is_private(path, 0o600) for path in written)


def test_old_downloads_are_deleted_by_age_and_by_count(app: RunningApp) -> None:
    editor = _history_client(app)
    root = downloads_root(app.ctx.settings.data_dir)
    for _ in range(KEPT + 2):
        editor.predict(_conversation_id(app), api_name="/history_show")
    assert len(list(root.iterdir())) == KEPT  # the newest ones only

    oldest = min(root.iterdir(), key=lambda folder: folder.stat().st_mtime)
    long_ago = oldest.stat().st_mtime - app.ctx.settings.file_retention_s - 60
    os.utime(oldest, (long_ago, long_ago))
    editor.predict(_conversation_id(app), api_name="/history_show")
    assert not oldest.exists()  # past the retention age: gone at the next export
    assert len(list(root.iterdir())) == KEPT
