"""Which host names this server answers to, and which pages may send it requests: an ASGI allow-list in
front of the whole app (the Gradio UI, `/login`, `/gradio_api/*`, `/v1/realtime`).

Two attacks it stops:
- Cross-site requests. A page on another site, in the browser of a signed-in editor (or of the local
  user of a loopback studio, who is its editor), sends requests that carry the editor's cookie.
  Browsers name the page's site in `Origin`; a request whose Origin is not this server's own name,
  a listed name, or (from a loopback page to a loopback server) loopback is refused with 403.
- DNS rebinding. The attacker's name is made to resolve to this server, so its page is "same-origin"
  with the server and its `Origin` and `Host` both carry the attacker's name. Requests for a `Host`
  that is not loopback, the bound host, a name in `allowed_hosts` or a Space's own host are refused
  with 400. Served on every interface (0.0.0.0) with no `allowed_hosts`, any Host is answered: the
  names are unknown, and such a server requires sign-in, whose cookie a rebound name never gets.

Requests without an `Origin` (command-line clients, gradio_client, top-level navigation) are served:
browsers send one with every cross-site request that could change anything. `/v1/realtime` checks
Origin itself (stepaudio_ui.realtime.access): there a token, not a cookie, is the credential.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from model.events import error_event
from model.realtime.wire import server_event_json
from stepaudio_ui.realtime.limits import POLICY_VIOLATION, REALTIME_PATH
from stepaudio_ui.web.host_names import hostname_of, is_loopback_name, origin_hostname

logger = logging.getLogger(__name__)

WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})  # noqa: S104 - names for "every interface", compared only


@dataclass(frozen=True)
class HostRules:
    names: frozenset[str]  # listed names, lower-case, without ports (loopback is always allowed)
    enforce_host: bool  # False: served on every interface with nothing listed, any Host is answered

    @classmethod
    def from_settings(cls, settings: Any, environ: Mapping[str, str] | None = None) -> HostRules:
        env = os.environ if environ is None else environ
        listed = [name for name in settings.allowed_hosts if name.strip()]
        names = {hostname_of(name) for name in listed}
        bound = hostname_of(settings.host) if settings.host not in WILDCARD_HOSTS else None
        names |= {bound, hostname_of(env.get("SPACE_HOST", ""))}
        return cls(names=frozenset(n for n in names if n), enforce_host=bound is not None or bool(listed))

    def host_allowed(self, host: str | None) -> bool:
        if host is None:
            return False
        return not self.enforce_host or is_loopback_name(host) or host in self.names

    def origin_allowed(self, origin: str | None, host: str) -> bool:
        """`host` has passed `host_allowed`: a page on it is this server's own."""
        if origin is None:
            return False
        return origin == host or origin in self.names or (is_loopback_name(origin) and is_loopback_name(host))


class OriginGuard:
    """Pure ASGI middleware: refuse unknown hosts (400) and pages from other sites (403)."""

    def __init__(self, app: ASGIApp, *, rules: HostRules) -> None:
        self.app = app
        self.rules = rules

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        authority = headers.get("host", "")
        host = hostname_of(authority)
        if not self.rules.host_allowed(host):
            message = (
                f"This server does not answer to the host name {authority!r}. If that is this server's name, "
                "add it to STEPAUDIO_ALLOWED_HOSTS (a page under an unknown name may be a DNS-rebinding attack)."
            )
            await self._refuse(scope, receive, send, 400, message, "forbidden_host")
            return
        origin = headers.get("origin")
        if origin is not None and not scope["path"].startswith(REALTIME_PATH):
            if not self.rules.origin_allowed(origin_hostname(origin), host or ""):
                message = (
                    f"Cross-site request refused: a page from {origin!r} may not use this studio. If that page "
                    "is yours, add its host name to STEPAUDIO_ALLOWED_HOSTS."
                )
                await self._refuse(scope, receive, send, 403, message, "forbidden_origin")
                return
        await self.app(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, status: int, message: str, code: str) -> None:
        client = scope.get("client") or ("?", 0)
        logger.warning("Refused %s %s from %s: %s", scope["type"], scope["path"], client[0], code)
        if scope["type"] == "http":
            await PlainTextResponse(message, status_code=status)(scope, receive, send)
            return
        await receive()  # websocket.connect
        if scope["path"].startswith(REALTIME_PATH):  # a realtime client reads the reason as an error event
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.send", "text": server_event_json(error_event(message, code=code))})
        await send({"type": "websocket.close", "code": POLICY_VIOLATION, "reason": code})


def install_origin_guard(app: Any, settings: Any) -> HostRules:
    """Put the guard in front of everything already on `app` (add it last: the last added runs first)."""
    rules = HostRules.from_settings(settings)
    app.add_middleware(OriginGuard, rules=rules)
    logger.info(
        "Host names served: %s",
        "any (bound to every interface; set STEPAUDIO_ALLOWED_HOSTS to restrict)"
        if not rules.enforce_host
        else ", ".join(["loopback", *sorted(rules.names)]),
    )
    return rules
