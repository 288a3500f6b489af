"""Cross-site requests and DNS rebinding, over real HTTP and WebSockets to the running app.

A page on another site, opened by someone whose browser can reach the studio (signed in as an editor,
or on the loopback studio where the local user is an editor), sends requests with its own `Origin`;
a DNS-rebinding page reaches the server under its own host name, so both its `Origin` and the `Host`
header name the attacker's domain. Both are refused before Gradio or the realtime endpoint see them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from websockets.asyncio.client import connect

from stepaudio_ui.studio import library as studio
from stepaudio_ui.web.access import hash_password
from tests.browser_support import REPO_ROOT, RunningApp, running_app

EVIL = "https://evil.example"
EDITOR = ("erin", "erin-secret-pw")


def _settings(data_dir: Path, **overrides: Any) -> Any:
    from stepaudio_ui.settings import Settings

    return Settings(data_dir=data_dir, seed_dir=REPO_ROOT / "personas", warmup=False, _env_file=None, **overrides)


@pytest.fixture(scope="module")
def local_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    """Loopback, no sign-in: whoever reaches it is its editor. The target a rebinding page aims at."""
    with running_app(_settings(tmp_path_factory.mktemp("origin-local"), allowed_hosts=["studio.lan"])) as app:
        yield app


@pytest.fixture(scope="module")
def signed_in_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    users = {EDITOR[0]: {"role": "editor", "password_hash": hash_password(EDITOR[1])}}
    with running_app(_settings(tmp_path_factory.mktemp("origin-signed-in"), users=users)) as app:
        yield app


def _persona_count(app: RunningApp) -> int:
    with app.ctx.db.session() as s:
        return studio.count_items(s, kind="persona", include_archived=True)


def _own_origin(app: RunningApp) -> str:
    return app.url.rstrip("/")


def _save_call(app: RunningApp, headers: dict[str, str]) -> httpx.Response:
    """What a page's script would send to save a persona through Gradio's API."""
    examples = {"headers": ["User says", "Persona replies"], "data": [["", ""]], "metadata": None}
    form = [
        "Planted",
        "en",
        "t",
        "A character.",
        "Hi!",
        examples,
        0.5,
        0.2,
        0.5,
        0.5,
        0.3,
        "",
        "jf_alpha",
        1.0,
        "",
        "",
        "",
    ]
    return httpx.post(
        app.url + "gradio_api/call/persona_save",
        json={"data": [None, "mallory", "planted", *form]},  # the editor's State first, as Gradio's raw API wants
        headers={"Content-Type": "application/json", **headers},
        timeout=30,
    )


def test_a_page_from_another_site_cannot_call_the_api(local_app: RunningApp) -> None:
    before = _persona_count(local_app)
    refused = _save_call(local_app, {"Origin": EVIL})
    assert refused.status_code == 403
    assert "evil.example" in refused.text and "STEPAUDIO_ALLOWED_HOSTS" in refused.text
    assert "access-control-allow-origin" not in refused.headers
    preflight = httpx.options(
        local_app.url + "gradio_api/call/persona_save",
        headers={"Origin": EVIL, "Access-Control-Request-Method": "POST"},
        timeout=10,
    )
    assert preflight.status_code == 403 and "access-control-allow-origin" not in preflight.headers
    assert _persona_count(local_app) == before
    # The studio's own page, and a client that sends no Origin at all, are served as before.
    assert _save_call(local_app, {"Origin": _own_origin(local_app)}).status_code == 200
    assert httpx.get(local_app.url + "healthz", timeout=10).status_code == 200


def test_a_rebinding_page_is_refused_by_its_host_name(local_app: RunningApp) -> None:
    port = urlsplit(local_app.url).port
    for path in ("", "gradio_api/info", "healthz"):
        refused = httpx.get(local_app.url + path, headers={"Host": f"rebind.evil.example:{port}"}, timeout=10)
        assert refused.status_code == 400, path
        assert "rebind.evil.example" in refused.text and "STEPAUDIO_ALLOWED_HOSTS" in refused.text
    # Same origin from the browser's view (page and request both on the attacker's name): still refused.
    rebound = {"Host": f"rebind.evil.example:{port}", "Origin": f"http://rebind.evil.example:{port}"}
    assert _save_call(local_app, rebound).status_code == 400
    # A name the operator listed in STEPAUDIO_ALLOWED_HOSTS is served, and its pages may call the API.
    listed = {"Host": f"studio.lan:{port}", "Origin": f"http://studio.lan:{port}"}
    assert httpx.get(local_app.url, headers={"Host": listed["Host"]}, timeout=10).status_code == 200
    assert _save_call(local_app, listed).status_code == 200


def test_sign_in_from_another_site_is_refused(signed_in_app: RunningApp) -> None:
    credentials = {"username": EDITOR[0], "password": EDITOR[1]}
    refused = httpx.post(signed_in_app.url + "login", data=credentials, headers={"Origin": EVIL}, timeout=30)
    assert refused.status_code == 403 and "set-cookie" not in refused.headers
    own = {"Origin": _own_origin(signed_in_app)}
    assert httpx.post(signed_in_app.url + "login", data=credentials, headers=own, timeout=30).status_code == 200


async def _first_event(port: int, host: str, origin: str) -> dict[str, Any]:
    """Connect to the server on loopback while the request names `host` (as a rebound name would)."""
    url = f"ws://{host}/v1/realtime"
    async with connect(url, host="127.0.0.1", port=port, origin=origin, open_timeout=30) as ws:  # type: ignore[arg-type]
        return json.loads(await asyncio.wait_for(ws.recv(), 30))


def test_realtime_refuses_a_rebinding_page_without_a_token(local_app: RunningApp) -> None:
    port = urlsplit(local_app.url).port or 0
    event = asyncio.run(_first_event(port, f"rebind.evil.example:{port}", f"http://rebind.evil.example:{port}"))
    assert event["type"] == "error" and event["error"]["code"] == "forbidden_host"
    assert "rebind.evil.example" in event["error"]["message"]
    # A listed name is served by the UI, but the realtime endpoint without a token wants a loopback name.
    event = asyncio.run(_first_event(port, f"studio.lan:{port}", f"http://studio.lan:{port}"))
    assert event["type"] == "error" and event["error"]["code"] == "loopback_host_only"
    assert "STEPAUDIO_REALTIME_TOKEN" in event["error"]["message"]
