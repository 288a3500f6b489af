"""The Live tab's server-side rule: a viewer's conversation runs published versions only.

The page passes the caller's role to the conversation handler through a `gr.State` that the page load
fills from the request: Gradio keeps State values on the server, so a caller cannot forge it. The
handler checks the selection when the conversation starts and whenever the pickers change mid-call,
so a viewer who sends an unpublished version id directly (not from the dropdowns) is refused.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from stepaudio_ui.live.handler import LiveHandler
from stepaudio_ui.live.session import LiveSelection
from stepaudio_ui.studio.published_scope import allowed_version
from stepaudio_ui.web.access import Role

logger = logging.getLogger(__name__)

WEBRTC_VALUE_MARKER = "__webrtc_value__"  # fastrtc puts it before a plain-string webrtc value
ROLE_ARG_INDEX = 6  # the stream's inputs: webrtc, persona, persona version, scene, scene version, engine, role, brain


def role_from_args(args: list[Any]) -> Role:
    """The role the page load stored for this browser session; anything unexpected counts as a viewer."""
    values = list(args)
    if values and values[0] == WEBRTC_VALUE_MARKER:
        values = values[1:]
    return "editor" if len(values) > ROLE_ARG_INDEX and values[ROLE_ARG_INDEX] == "editor" else "viewer"


def check_selection(db: Any, selection: LiveSelection, role: Role) -> None:
    """Raise AccessError / StudioError unless `role` may talk to both chosen versions."""
    if role == "editor":
        return
    picks = [("persona", selection.persona_slug, selection.persona_version, "talk to")]
    if selection.scene_slug is not None:  # None: no scene tone, nothing to check
        picks.append(("scene", selection.scene_slug, selection.scene_version, "use"))
    with db.session() as session:
        for kind, slug, number, action in picks:
            allowed_version(session, kind=kind, slug=slug, number=number, role=role, action=action)  # type: ignore[arg-type]


class RoleScopedLiveHandler(LiveHandler):
    """LiveHandler that refuses a viewer's unpublished selection before anything is opened or switched."""

    def copy(self) -> RoleScopedLiveHandler:
        return RoleScopedLiveHandler(self.ctx, self.registry)

    async def check_selection(self, selection: LiveSelection, args: list[Any]) -> None:
        # Raised here, the refusal is shown on the page ("Could not start: ..." / "Could not switch: ...").
        await asyncio.to_thread(check_selection, self.ctx.db, selection, role_from_args(args))
