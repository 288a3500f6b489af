"""'Sign in with Hugging Face' end to end, as far as the wire reaches without huggingface.co.

The studio runs as on a Space (`python app.py` with the variables a Space sets: SYSTEM, SPACE_ID,
OAUTH_CLIENT_ID/SECRET/SCOPES, OPENID_PROVIDER_URL), so Gradio's real OAuth routes and authlib do the whole
OpenID Connect code flow. The one stand-in is the identity provider: a small OpenID provider on loopback
(discovery document, authorize, token, RS256-signed id_token, JWKS) in place of huggingface.co, which this
machine cannot reach. A user named in STEPAUDIO_EDITORS then edits through the real server; any other
signed-in user, and a caller who never signed in, is a viewer and is refused.

Not covered: huggingface.co's own pages and consent screen, its real tokens, and the Space proxy's https.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.browser_support import REPO_ROOT, free_port

CLIENT_ID, CLIENT_SECRET = "studio-space-client", "studio-space-secret"
START_TIMEOUT_S = 120


class FakeHubProvider:
    """An OpenID provider that signs in whichever user the test names next (no password screen)."""

    def __init__(self) -> None:
        from authlib.jose import JsonWebKey

        self.key = JsonWebKey.generate_key("RSA", 2048, is_private=True, options={"kid": "test-key"})
        self.next_user = "nobody"
        self.codes: dict[str, dict[str, Any]] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def id_token(self, user: str, nonce: str | None) -> str:
        from authlib.jose import jwt

        now = int(time.time())
        claims = {"iss": self.url, "aud": CLIENT_ID, "sub": f"id-{user}", "iat": now, "exp": now + 600}
        claims |= {"preferred_username": user, "name": user.title(), "nonce": nonce}
        return jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, self.key).decode("ascii")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:  # quiet test output
                return

            def _json(self, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                if url.path == "/.well-known/openid-configuration":
                    self._json(
                        {
                            "issuer": provider.url,
                            "authorization_endpoint": provider.url + "/oauth/authorize",
                            "token_endpoint": provider.url + "/oauth/token",
                            "jwks_uri": provider.url + "/oauth/jwks",
                            "id_token_signing_alg_values_supported": ["RS256"],
                        }
                    )
                elif url.path == "/oauth/jwks":
                    self._json({"keys": [provider.key.as_dict(is_private=False)]})
                elif url.path == "/oauth/authorize":
                    assert query["client_id"] == CLIENT_ID and query["response_type"] == "code"
                    code = f"code-{len(provider.codes)}"
                    provider.codes[code] = {"user": provider.next_user, "nonce": query.get("nonce")}
                    back = {"code": code, "state": query["state"]}
                    self.send_response(302)
                    self.send_header("Location", query["redirect_uri"] + "&" + urllib.parse.urlencode(back))
                    self.end_headers()
                else:
                    self.send_error(404)

            def do_POST(self) -> None:  # noqa: N802
                form = dict(urllib.parse.parse_qsl(self.rfile.read(int(self.headers["Content-Length"])).decode()))
                grant = provider.codes.pop(form.get("code", ""), None)
                if self.path != "/oauth/token" or grant is None:
                    self.send_error(400)
                    return
                token = provider.id_token(grant["user"], grant["nonce"])
                self._json({"access_token": "hf_access", "token_type": "Bearer", "expires_in": 600, "id_token": token})

        return Handler


@pytest.fixture(scope="module")
def space(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, FakeHubProvider]]:
    provider = FakeHubProvider()
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("STEPAUDIO_", "HF_TOKEN", "OAUTH_"))}
    env |= {
        "SYSTEM": "spaces",  # what Gradio checks, with SPACE_ID, to use the real OAuth routes
        "SPACE_ID": "team/persona-studio",
        "OAUTH_CLIENT_ID": CLIENT_ID,
        "OAUTH_CLIENT_SECRET": CLIENT_SECRET,
        "OAUTH_SCOPES": "openid profile",
        "OPENID_PROVIDER_URL": provider.url,
        "STEPAUDIO_HOST": "127.0.0.1",  # a Space binds 0.0.0.0; the test keeps to loopback
        "STEPAUDIO_PORT": str(port),
        "STEPAUDIO_DATA_DIR": str(tmp_path_factory.mktemp("space-data")),
        "STEPAUDIO_EDITORS": '["ann"]',
        "STEPAUDIO_WARMUP": "false",
        "HF_HUB_OFFLINE": "1",
    }
    log_path = tmp_path_factory.mktemp("space-log") / "server.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen([sys.executable, "app.py"], cwd=REPO_ROOT, env=env, stdout=log, stderr=log)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(url, server, log_path)
            yield url, provider
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:  # open event streams can hold uvicorn's graceful exit
                server.kill()
                server.wait(timeout=10)
            provider.server.shutdown()


def _wait_until_up(url: str, server: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the studio exited at start:\n{log_path.read_text(errors='replace')[-3000:]}")
        try:
            if requests.get(url + "/healthz", timeout=2).ok:
                return
        except requests.ConnectionError:
            time.sleep(0.5)
    pytest.fail(f"the studio did not start in {START_TIMEOUT_S} s:\n{log_path.read_text(errors='replace')[-3000:]}")


def _session_cookie(response: requests.Response) -> str:
    # Gradio marks its session cookie Secure (a Space is https): carry it by hand over loopback http.
    cookie = response.headers.get("set-cookie", "")
    assert cookie.startswith("session="), f"no session cookie in {response.status_code} {response.headers}"
    return cookie.split(";", 1)[0]


def sign_in(url: str, provider: FakeHubProvider, user: str) -> str:
    """The browser's part of the code flow, hop by hop; returns the signed-in session cookie."""
    provider.next_user = user
    start = requests.get(url + "/login/huggingface", allow_redirects=False, timeout=10)
    assert start.status_code in (302, 307) and start.headers["location"].startswith(provider.url + "/oauth/authorize")
    pending = _session_cookie(start)  # holds authlib's state and nonce
    approved = requests.get(start.headers["location"], allow_redirects=False, timeout=10)
    callback = approved.headers["location"]
    assert callback.startswith(url + "/login/callback")
    done = requests.get(callback, headers={"Cookie": pending}, allow_redirects=False, timeout=30)
    assert done.status_code in (302, 307), done.text
    return _session_cookie(done)


def _client(url: str, cookie: str | None) -> Any:
    from gradio_client import Client

    return Client(url + "/", headers={"Cookie": cookie} if cookie else None, verbose=False, download_files=False)


def test_listed_hf_user_edits_and_others_are_viewers(space: tuple[str, FakeHubProvider]) -> None:
    from gradio_client.exceptions import AppError

    url, provider = space
    ann = _client(url, sign_in(url, provider, "ann"))
    assert ann.predict(api_name="/signed_in_line") == "Signed in as **ann** · role: **editor**"
    ann.predict(api_name="/persona_new")  # an editing endpoint: allowed

    bob = _client(url, sign_in(url, provider, "bob"))
    assert bob.predict(api_name="/signed_in_line") == "Signed in as **bob** · role: **viewer**"
    with pytest.raises(AppError, match="Not allowed to create a persona: 'bob' is a viewer"):
        bob.predict(api_name="/persona_new")

    anonymous = _client(url, None)
    assert anonymous.predict(api_name="/signed_in_line") == "Not signed in · role: **viewer**"
    with pytest.raises(AppError, match="Not allowed to create a persona: you are not signed in"):
        anonymous.predict(api_name="/persona_new")


def test_sign_in_button_is_on_the_page(space: tuple[str, FakeHubProvider]) -> None:
    url, _provider = space
    config = requests.get(url + "/config", timeout=10).json()
    labels = [c.get("props", {}).get("value") for c in config["components"] if c.get("type") == "button"]
    assert "Sign in with Hugging Face" in labels
    assert requests.get(url + "/logout", allow_redirects=False, timeout=10).status_code in (302, 307)
