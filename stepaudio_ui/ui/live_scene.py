"""The Live tab's scene-tone picker: "no scene tone" first, then the scene tones the caller may use; picking
a persona preselects its home scene, by the same rule /v1/realtime follows (stepaudio_ui.studio.scene_choice)."""

from __future__ import annotations

from typing import Any

from stepaudio_ui.studio import library as studio
from stepaudio_ui.studio.published_scope import allowed_version
from stepaudio_ui.studio.scene_choice import home_scene
from stepaudio_ui.studio.specs import NO_SCENE
from stepaudio_ui.ui.i18n import tr
from stepaudio_ui.web.access import AccessError, Role


def with_no_scene(choices: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The scene picker's choices: no scene tone (in the reader's language), then the listed scene tones."""
    return [(tr("scene.no_scene_choice"), NO_SCENE), *choices]


def home_scene_value(ctx: Any, persona_slug: str | None, role: Role) -> str:
    """What the scene picker preselects for a persona's default version: its home scene when `role` may
    use it, else no scene tone (never some other scene)."""
    if not persona_slug:
        return NO_SCENE
    try:
        with ctx.db.session() as session:
            persona = allowed_version(
                session, kind="persona", slug=persona_slug, number=None, role=role, action="talk to"
            )
            chosen = home_scene(session, persona.spec, role=role)  # type: ignore[arg-type]  # a PersonaSpec
    except (studio.StudioError, AccessError):
        return NO_SCENE
    return chosen.slug if chosen else NO_SCENE
