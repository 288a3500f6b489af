"""Start-up safety, sign-in configuration and Hugging Face Space defaults (no server is bound here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from stepaudio_ui.server import create_app
from stepaudio_ui.web.access import AccessError, AccessPolicy, hash_password, policy_from_settings, verify_password
from stepaudio_ui.web.hosting import hosting_settings


def _settings(data_dir: Path, **overrides: Any) -> Any:
    from stepaudio_ui.settings import Settings

    return Settings(data_dir=data_dir, warmup=False, _env_file=None, **overrides)


def test_editable_studio_on_all_interfaces_without_sign_in_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AccessError) as refused:
        create_app(_settings(tmp_path / "data", host="0.0.0.0"))  # noqa: S104
    message = str(refused.value)
    assert "Refusing to serve on 0.0.0.0" in message
    assert "STEPAUDIO_USERS" in message and "hash-password" in message and "STEPAUDIO_READ_ONLY=true" in message
    assert not (tmp_path / "data" / "studio.db").exists()  # refused before anything was created


@pytest.mark.parametrize(
    "overrides",
    [
        {"read_only": True},
        {"users": {"ann": {"role": "editor", "password_hash": hash_password("pw")}}},
    ],
    ids=["read-only", "password-sign-in"],
)
def test_all_interfaces_start_with_read_only_or_sign_in(tmp_path: Path, overrides: dict[str, Any]) -> None:
    _app, ctx = create_app(_settings(tmp_path / "data", host="0.0.0.0", **overrides))  # noqa: S104
    ctx.db.dispose()


def test_plain_text_password_is_refused_with_the_fix(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "data", users={"ann": {"role": "editor", "password_hash": "hunter2"}})
    with pytest.raises(AccessError, match="not an scrypt hash.*hash-password"):
        create_app(settings)


def test_unknown_role_is_named(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "data", users={"ann": {"role": "admin", "password_hash": hash_password("x")}})
    with pytest.raises(AccessError, match="user 'ann'.*role"):
        policy_from_settings(settings)


def test_password_hashes_verify_only_the_right_password() -> None:
    stored = hash_password("correct horse")
    assert stored.startswith("scrypt$") and "correct horse" not in stored
    assert verify_password("correct horse", stored)
    assert not verify_password("correct hors", stored)
    assert hash_password("correct horse") != stored  # salted


def test_roles() -> None:
    users = {"ann": {"role": "editor", "password_hash": hash_password("a")}}
    from stepaudio_ui.web.access import load_users

    policy = AccessPolicy(users=load_users(users, "test"), hf_editors=frozenset({"hf-bob"}))
    assert policy.role_of("ann") == "editor"
    assert policy.role_of("hf-bob") == "editor"
    assert policy.role_of("someone") == "viewer"
    assert policy.role_of(None) == "viewer"
    assert policy.check_password("ann", "a") and not policy.check_password("ann", "b")
    assert not policy.check_password("nobody", "a")
    read_only = AccessPolicy(users=policy.users, read_only=True)
    assert read_only.role_of("ann") == "viewer"


def test_space_defaults(tmp_path: Path) -> None:
    settings = _settings(Path("data"))
    on_space = hosting_settings(settings, environ={"SPACE_ID": "team/studio"})
    assert on_space.host == "0.0.0.0"  # noqa: S104
    assert hosting_settings(settings, environ={"GRADIO_SERVER_NAME": "10.1.2.3"}).host == "10.1.2.3"
    explicit = hosting_settings(settings, environ={"SPACE_ID": "x", "STEPAUDIO_HOST": "127.0.0.1"})
    assert explicit.host == "127.0.0.1"
    chosen_dir = _settings(tmp_path / "mine")
    assert hosting_settings(chosen_dir, environ={"SPACE_ID": "x"}).data_dir == tmp_path / "mine"
    space_policy = policy_from_settings(on_space.model_copy(update={"editors": ["alice"]}), environ={"SPACE_ID": "x"})
    assert space_policy.hf_oauth and space_policy.sign_in_configured and space_policy.role_of("alice") == "editor"
