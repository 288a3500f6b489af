"""Who may do what: sign-in (hashed passwords or Hugging Face OAuth), roles, and the start-up safety check.

Two roles. Editors create, edit, publish, archive and import; viewers browse published versions and
hold live conversations. Every editing handler asks `AccessPolicy.require_editor(request)` on the
server before it touches the studio: hiding buttons is only a courtesy to the user.

Passwords are stored as scrypt hashes (stepaudio_ui.web.password_hash); make one with
`python -m stepaudio_ui.web.access hash-password`. The HTTP side of sign-in (checks off the event loop,
per-address throttling) is stepaudio_ui.web.sign_in.
"""

from __future__ import annotations

import getpass
import ipaddress
import json
import logging
import os
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from stepaudio_ui.studio.roles import AccessError, Role
from stepaudio_ui.web.password_hash import (
    HashError,
    dummy_hash,
    hash_password,
    needs_upgrade,
    parse_hash,
    verify_password,
)

logger = logging.getLogger(__name__)

__all__ = ["AccessError", "AccessPolicy", "Role", "UserEntry", "hash_password", "verify_password"]

_USERS_FILE_LOCK = threading.Lock()  # upgrades of stored hashes rewrite the users file one at a time


class UserEntry(BaseModel):
    """One account in STEPAUDIO_USERS / the users file."""

    model_config = ConfigDict(extra="forbid")
    role: Role
    password_hash: str


# ------------------------------------------------------------------------------------ the policy


def is_loopback_host(host: str) -> bool:
    """'127.0.0.1', '::1' and 'localhost' only reach this machine; anything else reaches a network."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything, so treat it as reachable


@dataclass(frozen=True)
class AccessPolicy:
    users: Mapping[str, UserEntry] = field(default_factory=dict)
    read_only: bool = False
    hf_editors: frozenset[str] = frozenset()  # Hugging Face user names allowed to edit (OAuth on a Space)
    hf_oauth: bool = False  # a "Sign in with Hugging Face" button is offered
    # Nobody signs in on a loopback-only studio: its single local user is its editor.
    anonymous_role: Role = "viewer"
    users_file: Path | None = None  # where `file_users` came from: upgraded hashes are written back there
    file_users: frozenset[str] = frozenset()
    # hashes re-made at sign-in with today's parameters, for accounts whose stored hash was weaker
    _upgraded: dict[str, str] = field(default_factory=dict, init=False, compare=False, repr=False)

    @property
    def password_sign_in(self) -> bool:
        return bool(self.users)

    @property
    def sign_in_configured(self) -> bool:
        return self.password_sign_in or (self.hf_oauth and bool(self.hf_editors))

    def check_password(self, username: str, password: str) -> bool:
        """True when the user exists and the password matches its hash: one scrypt either way, since an
        unknown name is checked against a dummy hash. Blocking (~0.3 s): call it from a worker thread
        (stepaudio_ui.web.sign_in does). A hash weaker than today's parameters is re-made on success."""
        entry = self.users.get(username)
        if entry is None:
            verify_password(password, dummy_hash())
            return False
        stored = self._upgraded.get(username, entry.password_hash)
        if not verify_password(password, stored):
            return False
        if needs_upgrade(stored):
            self._upgrade(username, password, stored)
        return True

    def _upgrade(self, username: str, password: str, stored: str) -> None:
        old_n = parse_hash(stored).n
        self._upgraded[username] = new_hash = hash_password(password)
        if self.users_file is None or username not in self.file_users:
            logger.warning(
                "The password hash of %r (STEPAUDIO_USERS) uses scrypt N=%d, weaker than N=%d: make a new one with "
                "`python -m stepaudio_ui.web.access hash-password` and replace it (this process uses a stronger copy).",
                username, old_n, parse_hash(new_hash).n,
            )  # fmt: skip
            return
        try:
            rewrite_password_hash(self.users_file, username, new_hash)
            logger.info(
                "Upgraded the password hash of %r in %s (scrypt N=%d -> today's)", username, self.users_file, old_n
            )
        except (OSError, ValueError) as error:
            logger.warning("Could not upgrade the password hash of %r in %s: %s", username, self.users_file, error)

    def role_of(self, username: str | None) -> Role:
        if self.read_only:
            return "viewer"
        if username is None:
            return self.anonymous_role
        entry = self.users.get(username)
        if entry is not None:
            return entry.role
        return "editor" if username in self.hf_editors else "viewer"

    def role_for(self, request: Any) -> Role:
        return self.role_of(request_username(request))

    def can_edit(self, request: Any) -> bool:
        return self.role_for(request) == "editor"

    def require_editor(self, request: Any, action: str) -> str | None:
        """The signed-in editor's name, or AccessError with a message saying why and what to do."""
        username = request_username(request)
        if self.role_of(username) == "editor":
            return username
        if self.read_only:
            reason = "this studio runs in read-only mode (STEPAUDIO_READ_ONLY)"
        elif username is None:
            reason = "you are not signed in"
        else:
            reason = f"{username!r} is a viewer"
        raise AccessError(f"Not allowed to {action}: {reason}. Only editors can change the library; nothing was saved.")


def request_username(request: Any) -> str | None:
    """The signed-in user of a Gradio request: password sign-in, else the Hugging Face OAuth profile."""
    if request is None:
        return None
    username = getattr(request, "username", None)
    if username:
        return str(username)
    # The OAuth profile sits in the session cookie's data; read the scope directly because
    # `request.session` raises when no session middleware is installed (no OAuth configured).
    scope = getattr(getattr(request, "request", None), "scope", None)
    session = scope.get("session") if isinstance(scope, Mapping) else None
    info = (session or {}).get("oauth_info") if isinstance(session, Mapping) else None
    userinfo = info.get("userinfo") if isinstance(info, Mapping) else None
    name = userinfo.get("preferred_username") if isinstance(userinfo, Mapping) else None
    return str(name) if name else None


def load_users(raw: Mapping[str, Any], source: str) -> dict[str, UserEntry]:
    users: dict[str, UserEntry] = {}
    for name, entry in raw.items():
        try:
            users[name] = UserEntry.model_validate(entry)
            parse_hash(users[name].password_hash)
        except ValidationError as error:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
            raise AccessError(
                f"user {name!r} in {source} is invalid ({problems}): each user is "
                '{"role": "editor" or "viewer", "password_hash": "<from hash-password>"}'
            ) from error
        except HashError as error:
            raise AccessError(f"user {name!r} in {source}: {error}") from error
    return users


def rewrite_password_hash(users_file: Path, username: str, new_hash: str) -> None:
    """Replace one account's hash in the users file, atomically, keeping everything else as it was."""
    with _USERS_FILE_LOCK:
        raw = json.loads(users_file.read_text(encoding="utf-8"))
        raw[username]["password_hash"] = new_hash
        temporary = users_file.with_name(f".{users_file.name}.upgrading")
        temporary.write_text(json.dumps(raw, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.chmod(temporary, users_file.stat().st_mode & 0o777)
        os.replace(temporary, users_file)


def policy_from_settings(settings: Any, *, environ: Mapping[str, str] | None = None) -> AccessPolicy:
    """Build the policy from `users` / `users_file` / `read_only` / `editors` and check it is usable."""
    env = os.environ if environ is None else environ
    raw: dict[str, Any] = dict(settings.users or {})
    source = "STEPAUDIO_USERS"
    path: Path | None = None
    from_file: dict[str, Any] = {}
    if settings.users_file is not None:
        path = Path(settings.users_file).expanduser()
        try:
            from_file = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise AccessError(
                f"cannot read the users file {path} ({error}): give a JSON object user -> entry"
            ) from error
        if not isinstance(from_file, dict):
            raise AccessError(f"the users file {path} is not a JSON object user -> entry")
        raw.update(from_file)
        source = f"{path}"
    users = load_users(raw, source)
    if users:
        dummy_hash()  # made now, so the first sign-in of an unknown name costs one scrypt like any other
    on_space = bool(env.get("SPACE_ID"))
    loopback = is_loopback_host(settings.host)
    no_sign_in = not users and not (on_space and settings.editors)
    return AccessPolicy(
        users=users,
        read_only=settings.read_only,
        hf_editors=frozenset(settings.editors),
        hf_oauth=on_space and not users,
        anonymous_role="editor" if loopback and no_sign_in else "viewer",
        users_file=path,
        file_users=frozenset(from_file),
    )


def check_startup_safety(settings: Any, policy: AccessPolicy) -> None:
    """Refuse to serve an editable studio without sign-in on an address other machines can reach."""
    if is_loopback_host(settings.host) or settings.read_only or policy.sign_in_configured:
        return
    raise AccessError(
        f"Refusing to serve on {settings.host}: editing is enabled and no sign-in is configured, so anyone who "
        "can reach this address could change the library. Either configure sign-in: STEPAUDIO_USERS (or "
        'STEPAUDIO_USERS_FILE) as JSON {"name": {"role": "editor", "password_hash": "..."}} with hashes from '
        "`python -m stepaudio_ui.web.access hash-password`, or on a Hugging Face Space list editors' user names in "
        'STEPAUDIO_EDITORS (e.g. ["your-hf-name"]); or start in read-only mode with STEPAUDIO_READ_ONLY=true; '
        "or bind to 127.0.0.1."
    )


# ------------------------------------------------------------------------------------ command line


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m stepaudio_ui.web.access hash-password [--stdin]`: print an scrypt hash for STEPAUDIO_USERS."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] != "hash-password":
        sys.stderr.write("usage: python -m stepaudio_ui.web.access hash-password [--stdin]\n")
        return 2
    if "--stdin" in args:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            sys.stderr.write("the two passwords differ: nothing printed\n")
            return 1
    try:
        sys.stdout.write(hash_password(password) + "\n")
    except HashError as error:
        sys.stderr.write(f"{error}\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
