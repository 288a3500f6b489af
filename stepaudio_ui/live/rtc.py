"""WebRTC network settings: ICE servers for the browser and the server, and the loopback test switch."""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

from fastrtc import WebRTC

logger = logging.getLogger(__name__)

RtcConfiguration = dict[str, Any] | Callable[[], Awaitable[dict[str, Any]]] | None


def on_hugging_face_space() -> bool:
    return bool(os.environ.get("SPACE_ID"))


def browser_rtc_configuration(settings: Any) -> RtcConfiguration:
    """What the browser uses to reach the server.

    On a Hugging Face Space the server sits behind NAT and browsers need TURN: fastrtc's helper fetches
    short-lived credentials with the Space's token (asked per connection, so they never expire mid-use).
    """
    token = os.environ.get("HF_TOKEN")
    if on_hugging_face_space() and token:

        async def space_turn() -> dict[str, Any]:
            from fastrtc import get_cloudflare_turn_credentials_async

            return await get_cloudflare_turn_credentials_async(hf_token=token)

        return space_turn
    if on_hugging_face_space():
        logger.warning("running on a Space without HF_TOKEN: add it as a Space secret so browsers get TURN servers")
    if settings.ice_servers:
        return {"iceServers": settings.ice_servers}
    return None


def server_rtc_configuration(settings: Any) -> dict[str, Any] | None:
    """The server's own ICE servers. An explicit empty list stops aiortc asking Google's STUN server,
    which offline would only add a timeout to every connection."""
    if on_hugging_face_space() and not settings.ice_servers:
        return None  # aiortc's default STUN, so the server learns its public address
    return {"iceServers": settings.ice_servers}


def enable_loopback_ice() -> None:
    """Testing only: make aioice offer 127.0.0.1, which it normally skips, for machines whose only
    interface is loopback. The browser side needs Chromium's --allow-loopback-in-peer-connection."""
    import aioice.ice

    def loopback_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return ["127.0.0.1"] if use_ipv4 else []

    aioice.ice.get_host_addresses = loopback_addresses
    logger.warning("WebRTC offers only 127.0.0.1 (webrtc_loopback_only is on): for tests, not for serving")


def tolerate_empty_value(webrtc: WebRTC) -> WebRTC:
    """Make fastrtc's WebRTC component accept the empty value it has before a conversation starts.

    fastrtc sends the pickers' values to the conversation whenever one changes, with the WebRTC
    component's own value as the first input; before "Start" that value is empty and its preprocess
    fails ('NoneType' object has no attribute 'root'), which Gradio shows as an error toast on every page
    load and every persona change. No conversation means nothing to update: pass None, which fastrtc
    ignores (no connection has that id). Wrapped on the instance, not subclassed: Gradio finds a
    component's front end by its class name.
    """
    preprocess = webrtc.preprocess

    def tolerant_preprocess(payload: Any) -> Any:
        if payload is None or getattr(payload, "root", None) is None:
            return None
        return preprocess(payload)

    webrtc.preprocess = tolerant_preprocess  # type: ignore[method-assign]
    return webrtc
