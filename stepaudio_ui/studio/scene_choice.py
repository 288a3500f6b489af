"""Which scene tone a session runs under: the one asked for, else the persona's home scene, else none.

One rule for every place a session is composed (/v1/realtime, the Live panel, the quality lab, A/B):
- a scene slug asked for by name: that scene tone, in the version the caller's role may use (editors: the
  published version, else the latest; viewers and /v1/realtime clients: the published version), if it is
  not archived; any other slug is refused with the list of the slugs the caller may use;
- `none` (`specs.NO_SCENE`): no scene tone at all, a neutral frame;
- nothing: the persona version's home scene when the caller may use it, else no scene tone. Never an
  arbitrary scene: a persona without a home scene is not composed with whichever scene came first.
"""

from __future__ import annotations

import logging

from sqlmodel import Session

from stepaudio_ui.studio import library as studio
from stepaudio_ui.studio.core import VersionView
from stepaudio_ui.studio.published_scope import allowed_version, listed_items
from stepaudio_ui.studio.roles import AccessError, Role
from stepaudio_ui.studio.specs import NO_SCENE, PersonaSpec

logger = logging.getLogger(__name__)

SLUGS_NAMED_IN_ERRORS = 30  # a refusal lists the usable slugs; a big library's list is cut here


class SceneChoiceError(studio.StudioError):
    """A scene tone the caller may not use (unknown, archived, or unpublished for a viewer)."""


def usable_scene_slugs(session: Session, *, role: Role) -> list[str]:
    """The scene slugs `role` may name, sorted: live ones (viewers: published ones only)."""
    return sorted(item.slug for item in listed_items(session, kind="scene", role=role))


def _refusal(session: Session, slug: str, role: Role) -> str:
    usable = usable_scene_slugs(session, role=role)
    named = ", ".join(usable[:SLUGS_NAMED_IN_ERRORS]) or "(none published yet)"
    more = f" and {len(usable) - SLUGS_NAMED_IN_ERRORS} more" if len(usable) > SLUGS_NAMED_IN_ERRORS else ""
    scope = " published" if role == "viewer" else ""
    return (
        f"unknown scene tone {slug!r}: use one of the{scope} scene tones {named}{more}, "
        f"or '{NO_SCENE}' for no scene tone"
    )


def scene_version_for(session: Session, *, slug: str, role: Role) -> VersionView:
    """The version of scene `slug` that `role` may use; SceneChoiceError, listing the usable slugs, if none.

    An unpublished scene looks the same to a viewer as one that does not exist."""
    identity = studio.find_identity(session, studio.kind_models("scene"), slug)
    if identity is None or identity.archived:
        raise SceneChoiceError(_refusal(session, slug, role))
    try:
        return allowed_version(session, kind="scene", slug=slug, number=None, role=role, action="use")
    except (studio.StudioError, AccessError):
        raise SceneChoiceError(_refusal(session, slug, role)) from None


def home_scene(session: Session, persona: PersonaSpec, *, role: Role) -> VersionView | None:
    """The persona's home scene in the version `role` may use; None when it has none or it is not usable
    (archived since, or unpublished for a viewer): then the session has no scene tone."""
    if not persona.home_scene:
        return None
    try:
        return scene_version_for(session, slug=persona.home_scene, role=role)
    except SceneChoiceError:
        logger.info("home scene %r of persona %r is not usable by a %s: no scene tone", persona.home_scene,
                    persona.name, role)  # fmt: skip
        return None


def choose_scene(
    session: Session, *, persona: PersonaSpec | None, requested: str | None, role: Role
) -> VersionView | None:
    """The scene version a session runs under (None: no scene tone), by the rule in this module's docstring."""
    if requested == NO_SCENE:
        return None
    if requested:
        return scene_version_for(session, slug=requested, role=role)
    return home_scene(session, persona, role=role) if persona is not None else None


def lab_scene(
    session: Session, *, persona: PersonaSpec, requested: str | None, number: int | None = None
) -> VersionView | None:
    """The quality lab's version of the rule (editors, any version): the scene asked for, in version
    `number` (else its latest), else the persona's home scene while it exists, else none."""
    if requested == NO_SCENE:
        return None
    slug = requested or persona.home_scene
    if slug is None:
        return None
    if not requested and studio.find_identity(session, studio.kind_models("scene"), slug) is None:
        return None  # a home scene that is not in this library (e.g. an imported persona's): no scene tone
    return studio.get_version(session, kind="scene", slug=slug, number=number)


def scene_label(view: VersionView | None) -> str:
    """How runs, A/B sides and logs name the scene a session used."""
    return f"{view.slug} v{view.number}" if view else "no scene tone"
