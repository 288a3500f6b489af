"""Host names as a request carries them: the Host header's authority, an Origin, loopback or not."""

from __future__ import annotations

from urllib.parse import urlsplit

from stepaudio_ui.web.access import is_loopback_host


def hostname_of(authority: str) -> str | None:
    """'Studio.LAN:7860' -> 'studio.lan'; '[::1]:7860' -> '::1'; None when it is not a host[:port]."""
    try:
        split = urlsplit(f"//{authority.strip()}")
        split.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return None
    return split.hostname or None


def origin_hostname(origin: str) -> str | None:
    """The host of an Origin header ('https://a.example:8443' -> 'a.example'); None for 'null' or junk."""
    try:
        split = urlsplit(origin.strip())
    except ValueError:
        return None
    return split.hostname if split.scheme in ("http", "https") else None


def is_loopback_name(name: str | None) -> bool:
    return bool(name) and is_loopback_host(name or "")
