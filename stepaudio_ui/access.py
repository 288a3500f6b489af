"""Who may do what: sign-in (hashed passwords or Hugging Face OAuth), roles, and the start-up safety check.

Two roles. Editors create, edit, publish, archive and import; viewers browse published versions and
hold live conversations. Every editing handler asks `AccessPolicy.require_editor(request)` on the
server before it touches the studio: hiding buttons is only a courtesy to the user.

Passwords are stored as scrypt hashes (`hash_password`); make one with
`python -m stepaudio_ui.access hash-password`.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import ipaddress
import json
import logging
import os
import secrets
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

logger = logging.getLogger(__name__)

Role = Literal["editor", "viewer"]
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1  # ~16 MB and ~50 ms per check: slow for guessing, fine for sign-in
HASH_SCHEME = "scrypt"


class AccessError(Exception):
    """A sign-in configuration problem or a refused action; the message says what to change."""


class UserEntry(BaseModel):
    """One account in STEPAUDIO_USERS / the users file."""

    model_config = ConfigDict(extra="forbid")
    role: Role
    password_hash: str


# ------------------------------------------------------------------------------------ password hashes


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """'scrypt$16384$8$1$<salt b64>$<hash b64>': the only form of a password the app ever stores."""
    if not password:
        raise AccessError("the password is empty: choose a non-empty password")
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    encoded = [base64.b64encode(part).decode("ascii") for part in (salt, digest)]
    return "$".join([HASH_SCHEME, str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P), *encoded])


def _parse_hash(stored: str) -> tuple[int, int, int, bytes, bytes]:
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != HASH_SCHEME:
        raise AccessError(
            "a password_hash is not an scrypt hash ('scrypt$N$r$p$salt$hash'): make one with "
            "`python -m stepaudio_ui.access hash-password` (plain-text passwords are not accepted)"
        )
    try:
        n, r, p = (int(value) for value in parts[1:4])
        salt, digest = (base64.b64decode(value, validate=True) for value in parts[4:6])
    except ValueError as error:
        raise AccessError(f"a password_hash is damaged ({error}): make it again with hash-password") from error
    return n, r, p, salt, digest


def verify_password(password: str, stored: str) -> bool:
    n, r, p, salt, digest = _parse_hash(stored)
    candidate = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=len(digest), maxmem=128 * n * r * p + 2**20
    )
    return hmac.compare_digest(candidate, digest)


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

    @property
    def password_sign_in(self) -> bool:
        return bool(self.users)

    @property
    def sign_in_configured(self) -> bool:
        return self.password_sign_in or (self.hf_oauth and bool(self.hf_editors))

    def check_password(self, username: str, password: str) -> bool:
        """Gradio's `auth=` callable: True when the user exists and the password matches its hash."""
        entry = self.users.get(username)
        if entry is None:
            verify_password(password, hash_password("not-a-user"))  # same time as a real check
            return False
        return verify_password(password, entry.password_hash)

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
        except ValidationError as error:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
            raise AccessError(
                f"user {name!r} in {source} is invalid ({problems}): each user is "
                '{"role": "editor" or "viewer", "password_hash": "<from hash-password>"}'
            ) from error
        _parse_hash(users[name].password_hash)
    return users


def policy_from_settings(settings: Any, *, environ: Mapping[str, str] | None = None) -> AccessPolicy:
    """Build the policy from `users` / `users_file` / `read_only` / `editors` and check it is usable."""
    env = os.environ if environ is None else environ
    raw: dict[str, Any] = dict(settings.users or {})
    source = "STEPAUDIO_USERS"
    if settings.users_file is not None:
        path = Path(settings.users_file).expanduser()
        try:
            raw.update(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError) as error:
            raise AccessError(
                f"cannot read the users file {path} ({error}): give a JSON object user -> entry"
            ) from error
        source = f"{path}"
    users = load_users(raw, source)
    on_space = bool(env.get("SPACE_ID"))
    loopback = is_loopback_host(settings.host)
    no_sign_in = not users and not (on_space and settings.editors)
    return AccessPolicy(
        users=users,
        read_only=settings.read_only,
        hf_editors=frozenset(settings.editors),
        hf_oauth=on_space and not users,
        anonymous_role="editor" if loopback and no_sign_in else "viewer",
    )


def check_startup_safety(settings: Any, policy: AccessPolicy) -> None:
    """Refuse to serve an editable studio without sign-in on an address other machines can reach."""
    if is_loopback_host(settings.host) or settings.read_only or policy.sign_in_configured:
        return
    raise AccessError(
        f"Refusing to serve on {settings.host}: editing is enabled and no sign-in is configured, so anyone who "
        "can reach this address could change the library. Either configure sign-in: STEPAUDIO_USERS (or "
        'STEPAUDIO_USERS_FILE) as JSON {"name": {"role": "editor", "password_hash": "..."}} with hashes from '
        "`python -m stepaudio_ui.access hash-password`, or on a Hugging Face Space list editors' user names in "
        'STEPAUDIO_EDITORS (e.g. ["your-hf-name"]); or start in read-only mode with STEPAUDIO_READ_ONLY=true; '
        "or bind to 127.0.0.1."
    )


# ------------------------------------------------------------------------------------ command line


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m stepaudio_ui.access hash-password [--stdin]`: print an scrypt hash for STEPAUDIO_USERS."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] != "hash-password":
        sys.stderr.write("usage: python -m stepaudio_ui.access hash-password [--stdin]\n")
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
    except AccessError as error:
        sys.stderr.write(f"{error}\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
