"""Password sign-in over HTTP: checks off the event loop, a per-address throttle, a SameSite=Lax cookie.

Gradio's `POST /login` calls the `auth=` function inside the async server. One scrypt check costs
~0.3 s of CPU and 128 MiB (OWASP's parameters): run on the event loop, a few clients posting bad
passwords would stall every page, audio stream and health check. So:
- `PasswordChecks.check` (the `auth=` coroutine) runs the check in a pool of two threads (scrypt
  releases the GIL) and answers 503 "busy" rather than queueing more than a handful;
- `LoginThrottle` (ASGI middleware on `/login`) refuses, with 429 and `Retry-After`, an address that
  has `login_max_failures` failed or still-unchecked sign-ins within `login_failure_window_s`,
  before any hash work; a successful sign-in clears its record;
- off a Hugging Face Space it rewrites Gradio's `SameSite=None` session cookie to `SameSite=Lax`, so
  another site's page cannot send requests that ride an editor's sign-in. A Space shows the app in
  an iframe on huggingface.co, where a Lax cookie would not be sent: there the Origin check
  (stepaudio_ui.origin_guard) is the defence.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stepaudio_ui.web.access import AccessPolicy

logger = logging.getLogger(__name__)

CHECK_WORKERS = 2  # scrypt checks at once (2 x 128 MiB); more would only wait for the same CPU
MAX_WAITING_CHECKS = 14  # beyond workers + this, sign-in answers 503 instead of queueing without bound
LOGIN_PATHS = frozenset({"/login", "/login/"})
MAX_TRACKED_ADDRESSES = 10_000  # the throttle's memory is bounded too
_SAME_SITE_NONE = re.compile(rb"samesite=none", re.IGNORECASE)


class PasswordChecks:
    """Gradio's `auth=`: the policy's password check, in a bounded pool of worker threads."""

    def __init__(
        self, policy: AccessPolicy, *, workers: int = CHECK_WORKERS, waiting: int = MAX_WAITING_CHECKS
    ) -> None:
        self._policy = policy
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="password-check")
        self._slots = threading.BoundedSemaphore(workers + waiting)  # released by the worker when done

    async def check(self, username: str, password: str) -> bool:
        if not self._slots.acquire(blocking=False):
            raise HTTPException(503, "Too many sign-ins are being checked right now: try again in a few seconds.")
        try:
            job = self._pool.submit(self._policy.check_password, username, password)
        except RuntimeError:  # the pool is shut down: the server is stopping
            self._slots.release()
            raise
        job.add_done_callback(lambda _job: self._slots.release())
        return await asyncio.wrap_future(job)


class FailureLog:
    """Failed and in-flight sign-ins per client address within a sliding window (event-loop thread only)."""

    def __init__(self, max_failures: int, window_s: float) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = {}
        self._pending: dict[str, int] = {}

    def wait_s(self, address: str) -> int:
        """Seconds `address` must wait before its next attempt is checked; 0 when it may try now."""
        now = time.monotonic()
        failures = self._failures.get(address)
        while failures and failures[0] <= now - self.window_s:
            failures.popleft()
        if failures is not None and not failures:
            del self._failures[address]
            failures = None
        if len(failures or ()) + self._pending.get(address, 0) < self.max_failures:
            return 0
        return max(1, math.ceil(failures[0] + self.window_s - now)) if failures else 1

    def begin(self, address: str) -> None:
        self._pending[address] = self._pending.get(address, 0) + 1

    def end(self, address: str, status: int | None) -> None:
        left = self._pending.get(address, 1) - 1
        if left > 0:
            self._pending[address] = left
        else:
            self._pending.pop(address, None)
        if status == 200:
            self._failures.pop(address, None)
        elif status == 400:  # Gradio's "Incorrect credentials."
            self._failures.setdefault(address, deque()).append(time.monotonic())
            self._forget_oldest()

    def _forget_oldest(self) -> None:
        while len(self._failures) > MAX_TRACKED_ADDRESSES:
            del self._failures[next(iter(self._failures))]


def client_address(scope: Scope, *, behind_proxy: bool) -> str:
    """The caller's address; behind a Space's proxy, the entry that proxy appended to X-Forwarded-For
    (the rightmost: entries to its left come from the client and can be forged)."""
    if behind_proxy:
        for name, value in scope.get("headers", []):
            if name == b"x-forwarded-for":
                hops = [hop.strip() for hop in value.decode("latin-1").split(",") if hop.strip()]
                if hops:
                    return hops[-1]
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class LoginThrottle:
    """ASGI middleware on POST /login: per-address throttle, and SameSite=Lax session cookies."""

    def __init__(self, app: ASGIApp, *, failures: FailureLog, lax_cookies: bool, behind_proxy: bool) -> None:
        self.app = app
        self.failures = failures
        self.lax_cookies = lax_cookies
        self.behind_proxy = behind_proxy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] not in LOGIN_PATHS:
            await self.app(scope, receive, send)
            return
        address = client_address(scope, behind_proxy=self.behind_proxy)
        wait_s = self.failures.wait_s(address)
        if wait_s:
            logger.warning("Sign-in from %s refused: too many failed attempts (retry in %d s)", address, wait_s)
            await self._too_many(wait_s)(scope, receive, send)
            return
        status: int | None = None

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                if self.lax_cookies:
                    message = _lax_cookies(message)
            await send(message)

        self.failures.begin(address)
        try:
            await self.app(scope, receive, watch)
        finally:
            self.failures.end(address, status)

    def _too_many(self, wait_s: int) -> JSONResponse:
        detail = (
            f"Too many failed sign-ins from your address: wait {wait_s} s and try again. (At most "
            f"{self.failures.max_failures} per {self.failures.window_s:g} s: STEPAUDIO_LOGIN_MAX_FAILURES, "
            "STEPAUDIO_LOGIN_FAILURE_WINDOW_S.)"
        )
        return JSONResponse({"detail": detail}, status_code=429, headers={"Retry-After": str(wait_s)})


def _lax_cookies(message: Message) -> Message:
    headers = [
        (name, _SAME_SITE_NONE.sub(b"SameSite=lax", value) if name.lower() == b"set-cookie" else value)
        for name, value in message.get("headers", [])
    ]
    return {**message, "headers": headers}


def install_login_guard(app: Any, settings: Any, *, on_space: bool) -> None:
    """Wrap `app` (the FastAPI app with Gradio mounted) in the sign-in throttle."""
    failures = FailureLog(settings.login_max_failures, settings.login_failure_window_s)
    app.add_middleware(LoginThrottle, failures=failures, lax_cookies=not on_space, behind_proxy=on_space)
