"""The options every uvicorn that serves our app runs with (the app's own server, the benches, the tests).

uvicorn reads a whole WebSocket message, up to 16 MB by default, before the endpoint sees it and applies
its own limit (STEPAUDIO_REALTIME_MAX_MESSAGE_BYTES): a client could make the server buffer 16 MB per
connection. With `ws_max_size` derived from that limit, the WebSocket layer closes the connection (1009,
message too big) as soon as a frame's header announces more, without reading it.
"""

from __future__ import annotations

from typing import Any

# Messages somewhat over the limit are still read, so the endpoint can answer with an error event that
# says how to split them; only those far over it (twice the limit, and at least this much over) are cut.
MIN_MARGIN_BYTES = 1 << 20


def websocket_max_size(settings: Any) -> int:
    """The largest WebSocket message uvicorn reads, from `settings.realtime_max_message_bytes`."""
    limit = int(settings.realtime_max_message_bytes)
    return limit + max(limit, MIN_MARGIN_BYTES)


def uvicorn_options(settings: Any, **options: Any) -> dict[str, Any]:
    """Keyword arguments for `uvicorn.run` / `uvicorn.Config`: `options` plus the protective ones."""
    return {**options, "ws_max_size": websocket_max_size(settings)}


def uvicorn_config(app: Any, settings: Any, **options: Any) -> Any:
    """A `uvicorn.Config` for `app` (host, port, log level ... in `options`)."""
    import uvicorn

    return uvicorn.Config(app, **uvicorn_options(settings, **options))
