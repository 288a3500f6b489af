"""File inputs take only files a browser uploaded, as an attacker would test it: raw HTTP calls to the mounted
app that name a server path in a file input, and uploads over the size limit.

Mounted with `gr.mount_gradio_app`, Gradio skipped its "was this really uploaded?" check, so a caller could
hand any path on the server to a handler (`/etc/hostname`, or `/dev/zero`, which Gradio copied forever).
The server path used here is a valid persona export outside Gradio's upload folder: if the check is
missing, the handler imports it, which the test sees in the database.
"""

from __future__ import annotations

import json
import stat
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stepaudio_ui import studio
from stepaudio_ui.package_data import ASSETS, SEEDS, packaged_folder
from stepaudio_ui.voices.records import list_custom_voices
from tests.browser_support import RunningApp, running_app
from tests.store.examples import persona_spec

CLIP = packaged_folder(ASSETS) / "voices" / "jf_nezumi.wav"
NOT_UPLOADED = "it was not uploaded by a user"
UPLOAD_LIMIT = 40_000


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    from stepaudio_ui.settings import Settings

    data_dir = tmp_path_factory.mktemp("file-inputs")
    settings = Settings(
        data_dir=data_dir,
        seed_dir=packaged_folder(SEEDS),
        warmup=False,
        max_upload_bytes=UPLOAD_LIMIT,
        max_import_bytes=20_000,
        max_voice_clip_bytes=20_000,
        _env_file=None,
    )
    with running_app(settings) as running:  # loopback without sign-in: the caller is an editor
        yield running


def _file(path: Path | str) -> dict[str, Any]:
    return {"path": str(path), "meta": {"_type": "gradio.FileData"}}


def call(app: RunningApp, api_name: str, data: list[Any]) -> tuple[str, Any]:
    """Join the queue for `api_name` as the page does, with raw JSON: ("complete", outputs) or ("error", message)."""
    with urllib.request.urlopen(f"{app.url}config", timeout=30) as response:  # noqa: S310 - loopback
        dependencies = json.loads(response.read())["dependencies"]
    fn_index = next(d["id"] for d in dependencies if d.get("api_name") == api_name)
    session_hash = uuid.uuid4().hex
    body = json.dumps({"data": data, "fn_index": fn_index, "session_hash": session_hash}).encode()
    join = urllib.request.Request(
        f"{app.url}gradio_api/queue/join", data=body, headers={"Content-Type": "application/json"}
    )
    urllib.request.urlopen(join, timeout=30).close()  # noqa: S310 - loopback
    url = f"{app.url}gradio_api/queue/data?session_hash={session_hash}"
    with urllib.request.urlopen(url, timeout=60) as stream:  # noqa: S310 - loopback
        for raw in stream:
            line = raw.decode().strip()
            message = json.loads(line.removeprefix("data: ")) if line.startswith("data: ") else {}
            if message.get("msg") == "process_completed":
                output = message.get("output") or {}
                return ("complete", output.get("data")) if message.get("success") else ("error", output.get("error"))
            if message.get("msg") == "unexpected_error":
                return "error", message.get("message")
    raise AssertionError(f"{api_name}: the event stream ended without a result")


def _persona_export(tmp_path: Path, slug: str) -> Path:
    spec = persona_spec(f"Planted {slug}").model_dump(mode="json")
    document = {
        "format": "stepaudio-persona",
        "format_version": 1,
        "slug": slug,
        "versions": [{"number": 1, "spec": spec}],
    }
    path = tmp_path / f"{slug}.persona.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _has_persona(app: RunningApp, slug: str) -> bool:
    with app.ctx.db.session() as s:
        return any(item.slug == slug for item in studio.list_items(s, kind="persona", query="Planted", limit=50))


@pytest.mark.parametrize("api_name", ["persona_import", "scene_import"])
def test_import_of_a_server_path_is_refused_and_nothing_is_imported(
    app: RunningApp, tmp_path: Path, api_name: str
) -> None:
    slug = f"planted-{api_name.replace('_', '-')}"
    planted = _persona_export(tmp_path, slug)  # a file on the server, never uploaded
    event, message = call(app, api_name, [_file(planted), "mallory"])
    assert event == "error" and NOT_UPLOADED in str(message)
    assert not _has_persona(app, slug)
    event, message = call(app, api_name, [_file("/etc/hostname"), "mallory"])
    assert event == "error" and NOT_UPLOADED in str(message)


def test_custom_voice_save_from_a_server_path_is_refused(app: RunningApp) -> None:
    fields = ["Stolen", "en", "", "somewhere", "", False, "", "", "", "", "mallory"]
    event, message = call(app, "custom_voice_save", ["__new__", _file(CLIP), *fields])
    assert event == "error" and NOT_UPLOADED in str(message)
    with app.ctx.db.session() as s:
        assert list_custom_voices(s) == []


def test_ab_send_of_a_server_path_is_refused(app: RunningApp) -> None:
    with app.ctx.db.session() as s:
        persona = next(i.slug for i in studio.list_items(s, kind="persona", limit=50) if i.published_number)
        scene = next(i.slug for i in studio.list_items(s, kind="scene", limit=50) if i.published_number)
    side = [persona, 999, scene, "embedded", None]  # no version 999: a handler reached would fail on that instead
    event, message = call(app, "ab_send", [*side, *side, "", True, _file(CLIP)])
    assert event == "error" and NOT_UPLOADED in str(message)


def _upload(app: RunningApp, name: str, content: bytes) -> tuple[int, str]:
    """POST one file to Gradio's upload route as the page does: (HTTP status, body)."""
    boundary = "----stepaudio-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        f"{app.url}gradio_api/upload", data=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_an_upload_over_the_limit_is_refused_and_one_within_it_imports(app: RunningApp, tmp_path: Path) -> None:
    status, text = _upload(app, "big.bin", b"x" * (UPLOAD_LIMIT + 1))
    assert status == 413, text
    assert "maximum allowed size" in text

    status, text = _upload(app, "una.persona.json", _persona_export(tmp_path, "uploaded-una").read_bytes())
    assert status == 200, text
    (stored,) = json.loads(text)
    event, message = call(app, "persona_import", [_file(stored), "kim"])
    assert event == "complete", message  # a real upload still goes through
    assert _has_persona(app, "uploaded-una")


def test_uploaded_files_are_deleted_after_the_retention_time(tmp_path: Path) -> None:
    from stepaudio_ui.settings import Settings

    settings = Settings(
        data_dir=tmp_path / "data", seed_dir=tmp_path / "no-seeds", warmup=False, file_retention_s=1, _env_file=None
    )
    with running_app(settings) as short_lived:
        status, text = _upload(short_lived, "anonymous.bin", b"y" * 50_000)
        assert status == 200, text
        (stored,) = json.loads(text)
        assert Path(stored).is_file()
        deadline = time.monotonic() + 60  # a generous bound on a busy machine; gone within ~2 s when idle
        while Path(stored).exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not Path(stored).exists(), "an upload outlived STEPAUDIO_FILE_RETENTION_S"


def test_a_served_studio_keeps_uploads_in_a_private_folder_of_its_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not in the shared /tmp/gradio, which every account on the machine can list and read."""
    from stepaudio_ui.settings import Settings
    from stepaudio_ui.upload_limits import use_private_gradio_cache

    monkeypatch.delenv("GRADIO_TEMP_DIR", raising=False)
    settings = Settings(data_dir=tmp_path / "data", seed_dir=tmp_path / "no-seeds", warmup=False, _env_file=None)
    folder = Path(use_private_gradio_cache(settings))  # what `serve` does before building the app
    assert folder == (tmp_path / "data" / "gradio-cache").resolve()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    with running_app(settings) as served:
        status, text = _upload(served, "private.bin", b"z" * 1_000)
    assert status == 200, text
    (stored,) = json.loads(text)
    assert Path(stored).is_relative_to(folder)
    monkeypatch.setenv("GRADIO_TEMP_DIR", "/srv/chosen")
    assert use_private_gradio_cache(settings) == "/srv/chosen"  # a folder the operator chose is kept
