"""Opening the WebSocket to a realtime service, with refusals turned into errors that say what to fix."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidHandshake, InvalidStatus

from model.realtime.presets import RealtimeService

CONNECT_TIMEOUT_S = 10.0


class RealtimeConnectError(RuntimeError):
    """The service could not be reached or refused us; the message says why and what to change."""


def with_model(url: str, model: str) -> str:
    """The URL with `?model=...` added (both hosted services take the model as a query parameter)."""
    if not model:
        return url
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode({"model": model})) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def describe_status(service: RealtimeService, status: int) -> str:
    if status in (401, 403):
        return f"{service.title} refused the API key (HTTP {status}): check {service.key_setting}"
    if status == 429:
        return f"{service.title} is rate limiting this key (HTTP 429): wait a minute or raise the key's limits"
    if status == 404:
        return f"{service.url} has no realtime endpoint (HTTP 404): check the URL setting"
    return f"{service.title} refused the connection (HTTP {status})"


async def connect_service(service: RealtimeService, headers: dict[str, str]) -> ClientConnection:
    """Connect with the key as a Bearer token. Raises RealtimeConnectError naming the cause and the fix."""
    headers = dict(headers)
    if service.api_key:
        headers["Authorization"] = f"Bearer {service.api_key}"
    try:
        return await connect(
            with_model(service.url, service.model),
            additional_headers=headers,
            open_timeout=CONNECT_TIMEOUT_S,
            max_size=None,
            compression=None,
        )
    except InvalidStatus as exc:
        raise RealtimeConnectError(describe_status(service, exc.response.status_code)) from None
    except (OSError, TimeoutError, InvalidHandshake) as exc:
        raise RealtimeConnectError(
            f"could not connect to {service.title} at {service.url} ({type(exc).__name__}: {exc}): "
            "check the URL and the network"
        ) from None
