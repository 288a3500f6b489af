"""Password sign-in under attack, over real HTTP to the running app: a password check must not stall the
server, an address that keeps failing is throttled, unknown and known user names cost the same hash work,
and stored hashes use (and are upgraded to) OWASP's scrypt parameters.

`hashlib.scrypt` is wrapped (the real function still runs) to count the hash computations and, for one
test, to hold one check open until the test lets it go: ordering, not timing, shows whether the event
loop stayed free.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from stepaudio_ui.web.access import AccessError, hash_password, policy_from_settings
from tests.browser_support import REPO_ROOT, RunningApp, running_app

EDITOR = ("erin", "erin-secret-pw")
HELD_PASSWORD = "hold-this-check-open"  # the wrapped scrypt blocks on this password until released
MAX_FAILURES = 3
OWASP_N = 2**17


def _settings(data_dir: Path, **overrides: Any) -> Any:
    from stepaudio_ui.settings import Settings

    return Settings(
        data_dir=data_dir, seed_dir=REPO_ROOT / "personas", warmup=False, _env_file=None,
        login_max_failures=MAX_FAILURES, **overrides,
    )  # fmt: skip


class ScryptSpy:
    """Counts calls of the real hashlib.scrypt; a call for HELD_PASSWORD waits until `release` is set."""

    def __init__(self) -> None:
        self.real = hashlib.scrypt
        self.calls = 0
        self.held = threading.Event()
        self.release = threading.Event()

    def __call__(self, password: bytes, **options: Any) -> bytes:
        self.calls += 1
        if password == HELD_PASSWORD.encode():
            self.held.set()
            self.release.wait(60)
        return self.real(password, **options)


@pytest.fixture
def scrypt_spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[ScryptSpy]:
    spy = ScryptSpy()
    monkeypatch.setattr(hashlib, "scrypt", spy)
    yield spy
    spy.release.set()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    users = {EDITOR[0]: {"role": "editor", "password_hash": hash_password(EDITOR[1])}}
    with running_app(_settings(tmp_path_factory.mktemp("sign-in-data"), users=users)) as running:
        yield running


def _client(source: str) -> httpx.Client:
    """An HTTP client whose connections come from `source` (any 127.x address reaches loopback)."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=source), timeout=30)


def _login(client: httpx.Client, app: RunningApp, username: str, password: str) -> httpx.Response:
    return client.post(app.url + "login", data={"username": username, "password": password})


def test_health_is_answered_while_a_password_check_is_in_flight(app: RunningApp, scrypt_spy: ScryptSpy) -> None:
    with _client("127.0.0.11") as attacker, _client("127.0.0.12") as monitor, ThreadPoolExecutor(1) as pool:
        login: Future[httpx.Response] = pool.submit(_login, attacker, app, EDITOR[0], HELD_PASSWORD)
        assert scrypt_spy.held.wait(30), "the login never reached its password check"
        try:
            health = monitor.get(app.url + "healthz", timeout=5)
            still_checking = not login.done()
        except httpx.TimeoutException:
            health, still_checking = None, True
        finally:
            scrypt_spy.release.set()
        # The health answer came back while the login was still being checked: the loop was free.
        assert health is not None and health.status_code == 200, "the event loop was blocked by a password check"
        assert still_checking
        assert login.result(timeout=30).status_code == 400


def test_unknown_and_known_users_cost_the_same_hash_work(app: RunningApp, scrypt_spy: ScryptSpy) -> None:
    with _client("127.0.0.21") as client:
        _login(client, app, "warm-up-nobody", "x")  # the dummy hash may be made on first use
        costs = {}
        for username in ("nobody-at-all", EDITOR[0]):
            before = scrypt_spy.calls
            assert _login(client, app, username, "wrong password").status_code == 400
            costs[username] = scrypt_spy.calls - before
    assert costs == {"nobody-at-all": 1, EDITOR[0]: 1}


def test_an_address_that_keeps_failing_is_throttled_and_others_are_not(app: RunningApp, scrypt_spy: ScryptSpy) -> None:
    with _client("127.0.0.31") as attacker, _client("127.0.0.32") as neighbour:
        for _ in range(MAX_FAILURES):
            assert _login(attacker, app, EDITOR[0], "guess").status_code == 400
        before = scrypt_spy.calls
        refused = _login(attacker, app, EDITOR[0], EDITOR[1])  # even the right password: not checked now
        assert refused.status_code == 429
        assert "Too many failed sign-ins" in refused.json()["detail"]
        assert int(refused.headers["retry-after"]) > 0
        assert scrypt_spy.calls == before  # refused before any hash work
        assert _login(neighbour, app, EDITOR[0], EDITOR[1]).status_code == 200


def test_login_cookie_is_samesite_lax_off_a_space(app: RunningApp) -> None:
    with _client("127.0.0.41") as client:
        signed_in = _login(client, app, EDITOR[0], EDITOR[1])
    assert signed_in.status_code == 200
    cookies = signed_in.headers.get_list("set-cookie")
    assert cookies and all("samesite=lax" in cookie.lower() for cookie in cookies), cookies


# ------------------------------------------------------------------------------------ stored hashes


def _legacy_hash(password: str, n: int) -> str:
    """A hash in the stored form made with other scrypt parameters (as an older version wrote them)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=8, p=1, dklen=32, maxmem=2**30)
    parts = [base64.b64encode(part).decode() for part in (salt, digest)]
    return "$".join(["scrypt", str(n), "8", "1", *parts])


def test_new_hashes_use_owasp_scrypt_parameters() -> None:
    assert hash_password("pw").split("$")[1:4] == [str(OWASP_N), "8", "1"]


def test_a_stored_hash_with_an_absurd_cost_is_refused_at_start(tmp_path: Path) -> None:
    heavy = hash_password("pw").split("$")
    heavy[1] = str(2**24)  # 16 GiB per check: one login would take the server down
    settings = _settings(tmp_path, users={"ann": {"role": "editor", "password_hash": "$".join(heavy)}})
    with pytest.raises(AccessError, match="user 'ann'.*N=16777216"):
        policy_from_settings(settings)


def test_an_old_hash_is_upgraded_in_the_users_file_on_sign_in(tmp_path: Path) -> None:
    users_file = tmp_path / "users.json"
    old = _legacy_hash("ann-pw", 2**14)
    other = hash_password("bo-pw")
    users_file.write_text(json.dumps({"ann": {"role": "editor", "password_hash": old},
                                      "bo": {"role": "viewer", "password_hash": other}}))  # fmt: skip
    policy = policy_from_settings(_settings(tmp_path, users_file=users_file))
    assert not policy.check_password("ann", "wrong")
    assert json.loads(users_file.read_text())["ann"]["password_hash"] == old  # a failure changes nothing
    assert policy.check_password("ann", "ann-pw")
    saved = json.loads(users_file.read_text())
    assert saved["ann"]["password_hash"].split("$")[1] == str(OWASP_N)
    assert saved["ann"]["role"] == "editor" and saved["bo"]["password_hash"] == other
    assert policy_from_settings(_settings(tmp_path, users_file=users_file)).check_password("ann", "ann-pw")
