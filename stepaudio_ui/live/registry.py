"""Running Live handlers by WebRTC id, so the page's text box and buttons reach their own conversation."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the handler registers itself here; only its type is needed
    from stepaudio_ui.live.handler import LiveHandler


class LiveRegistry:
    """Running handlers by WebRTC id, so the page's text box can reach its own conversation."""

    def __init__(self) -> None:
        self._handlers: dict[str, LiveHandler] = {}

    def add(self, webrtc_id: str, handler: LiveHandler) -> None:
        self._handlers[webrtc_id] = handler

    def remove(self, webrtc_id: str, handler: LiveHandler) -> None:
        if self._handlers.get(webrtc_id) is handler:
            del self._handlers[webrtc_id]

    def get(self, webrtc_id: str | None) -> LiveHandler | None:
        return self._handlers.get(webrtc_id or "")
