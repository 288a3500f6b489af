"""The two roles of the studio, and the error a refused action raises.

Editors create, edit, publish, archive and import; viewers browse published versions and hold live
conversations. Who holds which role (sign-in, users files) is stepaudio_ui.web.access; what each role may
reach of the library is published_scope.
"""

from __future__ import annotations

from typing import Literal

Role = Literal["editor", "viewer"]


class AccessError(Exception):
    """A sign-in configuration problem or a refused action; the message says what to change."""
