"""The publishing gate: with `STEPAUDIO_REQUIRE_CHECKS_TO_PUBLISH=true`, a persona version can only be
published once a check run of that exact version has passed (on any engine and scene tone)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from stepaudio_ui.quality.runs import has_passing_run
from stepaudio_ui.studio import library as studio


class ChecksRequiredError(studio.StudioError):
    """Publishing refused: the version has no passing check run."""


def ensure_publishable(session: Session, *, settings: Any, kind: studio.Kind, slug: str, number: int) -> None:
    if kind != "persona" or not getattr(settings, "require_checks_to_publish", False):
        return
    if not has_passing_run(session, persona_slug=slug, persona_version=number):
        raise ChecksRequiredError(
            f"Persona {slug} v{number} has no passing check run, and this studio requires one before publishing. "
            f"Run `stepaudio-ui check {slug} --version {number}` (or the Quality tab) until it passes, "
            "or turn off STEPAUDIO_REQUIRE_CHECKS_TO_PUBLISH."
        )


def publish_checked(
    session: Session, *, settings: Any, kind: studio.Kind, slug: str, number: int
) -> studio.VersionView:
    """`studio.publish_version`, after the gate (the path every publish button goes through)."""
    ensure_publishable(session, settings=settings, kind=kind, slug=slug, number=number)
    return studio.publish_version(session, kind=kind, slug=slug, number=number)
