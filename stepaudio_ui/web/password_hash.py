"""Password hashes: scrypt with OWASP's parameters, stored as 'scrypt$N$r$p$<salt b64>$<hash b64>'.

A stored hash names its own cost, so whoever writes the users file could make one sign-in cost 16 GiB
and minutes of CPU: hashes outside sane bounds are refused when the accounts are loaded. Hashes made
with weaker parameters (this app used N=2^14 before) still verify and are re-made on the next
successful sign-in (`needs_upgrade`).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass

HASH_SCHEME = "scrypt"
# OWASP Password Storage Cheat Sheet: scrypt N=2^17, r=8, p=1 (128 MiB and ~0.3 s per check here).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**17, 8, 1
MIN_N = 2**10  # weaker than this is no protection: such a hash is refused as damaged
MAX_MEMORY_BYTES = 256 * 2**20  # 128 * N * r: twice OWASP's; above it one check could starve the server
MAX_P = 4  # p multiplies the time of a check
SALT_BYTES = 16
DIGEST_BYTES = 32


class HashError(ValueError):
    """A stored hash that is not one, is damaged, or asks for an unreasonable cost; the message says which."""


@dataclass(frozen=True)
class StoredHash:
    n: int
    r: int
    p: int
    salt: bytes
    digest: bytes

    @property
    def memory_bytes(self) -> int:
        return 128 * self.n * self.r

    @property
    def current(self) -> bool:
        """Made with this version's parameters (no upgrade due)."""
        return (self.n, self.r, self.p) == (SCRYPT_N, SCRYPT_R, SCRYPT_P)


def _compute(password: str, *, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    # hashlib.scrypt releases the GIL: callers run it in a worker thread, never on the event loop.
    maxmem = 128 * n * r * (p + 1) + 2**20
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=dklen, maxmem=maxmem)


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """The only form of a password the app ever stores."""
    if not password:
        raise HashError("the password is empty: choose a non-empty password")
    salt = salt or secrets.token_bytes(SALT_BYTES)
    digest = _compute(password, salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=DIGEST_BYTES)
    encoded = [base64.b64encode(part).decode("ascii") for part in (salt, digest)]
    return "$".join([HASH_SCHEME, str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P), *encoded])


def parse_hash(stored: str) -> StoredHash:
    """The parts of a stored hash, or HashError naming the part that is wrong and how to fix it."""
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != HASH_SCHEME:
        raise HashError(
            "a password_hash is not an scrypt hash ('scrypt$N$r$p$salt$hash'): make one with "
            "`python -m stepaudio_ui.web.access hash-password` (plain-text passwords are not accepted)"
        )
    try:
        n, r, p = (int(value) for value in parts[1:4])
        salt, digest = (base64.b64decode(value, validate=True) for value in parts[4:6])
    except ValueError as error:
        raise HashError(f"a password_hash is damaged ({error}): make it again with hash-password") from error
    parsed = StoredHash(n=n, r=r, p=p, salt=salt, digest=digest)
    _check_cost(parsed)
    if not 8 <= len(salt) <= 64 or not 16 <= len(digest) <= 64:
        raise HashError("a password_hash has a salt or hash of an odd length: make it again with hash-password")
    return parsed


def _check_cost(parsed: StoredHash) -> None:
    n, r, p = parsed.n, parsed.r, parsed.p
    power_of_two = n >= 2 and n & (n - 1) == 0
    if not power_of_two or n < MIN_N or not 1 <= r <= 32 or not 1 <= p <= MAX_P:
        raise HashError(
            f"a password_hash has scrypt parameters N={n}, r={r}, p={p}: N must be a power of two from "
            f"{MIN_N}, r 1-32, p 1-{MAX_P}; make it again with hash-password (N={SCRYPT_N}, r={SCRYPT_R}, p={SCRYPT_P})"
        )
    if parsed.memory_bytes > MAX_MEMORY_BYTES:
        raise HashError(
            f"a password_hash asks for scrypt N={n}, r={r} ({parsed.memory_bytes // 2**20} MiB per sign-in), over "
            f"this server's {MAX_MEMORY_BYTES // 2**20} MiB: make it again with hash-password (N={SCRYPT_N}, r={SCRYPT_R})"
        )


def verify_password(password: str, stored: str) -> bool:
    """True when `password` gives `stored`'s hash; a constant-time compare."""
    parsed = parse_hash(stored)
    candidate = _compute(password, salt=parsed.salt, n=parsed.n, r=parsed.r, p=parsed.p, dklen=len(parsed.digest))
    return hmac.compare_digest(candidate, parsed.digest)


def needs_upgrade(stored: str) -> bool:
    return not parse_hash(stored).current


@functools.cache
def dummy_hash() -> str:
    """One hash of a random password, made once: an unknown user name is checked against it, so a
    sign-in costs one scrypt whether the name exists or not (no user names found by timing)."""
    return hash_password(secrets.token_urlsafe(16))
