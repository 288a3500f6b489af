"""A recorded conversation for tests that need one without a browser call: Sam at the support desk."""

from __future__ import annotations

from model.events import SessionConfig
from stepaudio_ui.live.session import LiveSelection, ResolvedSession


def sam_session(input_rate: int = 16_000, output_rate: int = 24_000) -> ResolvedSession:
    """What the live handler resolves for Sam (seed v1) at the support desk (seed v1) on the embedded engine."""
    return ResolvedSession(
        selection=LiveSelection(persona_slug="sam-support", scene_slug="support-desk", engine="embedded"),
        persona_version=1,
        scene_version=1,
        persona_name="Sam",
        config=SessionConfig(input_sample_rate=input_rate, output_sample_rate=output_rate),
    )
