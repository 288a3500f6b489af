"""What each role may reach of the library: editors everything, viewers published versions only.

Every panel that lists, previews, composes or talks to a persona or scene tone asks here, on the server,
with the caller's role; the dropdowns a viewer is shown are a courtesy, these checks are the rule. A
viewer naming an unpublished item or version directly (for example with gradio_client) gets an
`AccessError` that says which version they may use instead.
"""

from __future__ import annotations

from sqlmodel import Session

from stepaudio_ui import studio
from stepaudio_ui.access import AccessError, Role
from stepaudio_ui.studio_core import ItemSummary, VersionView

PICK_LIMIT = 500  # pickers are for choosing; the library tabs search the rest


def listed_items(session: Session, *, kind: studio.Kind, role: Role, limit: int = PICK_LIMIT) -> list[ItemSummary]:
    """The items a role may pick: every live item for editors, only those with a published version for viewers."""
    items = studio.list_items(session, kind=kind, limit=limit)
    return items if role == "editor" else [item for item in items if item.published_number]


def listed_versions(session: Session, *, kind: studio.Kind, slug: str, role: Role) -> list[VersionView]:
    """An item's versions a role may pick, newest first: all of them, or the published one alone."""
    if role == "editor":
        return studio.list_versions(session, kind=kind, slug=slug)
    return [published_version(session, kind=kind, slug=slug)]


def published_version(session: Session, *, kind: studio.Kind, slug: str) -> VersionView:
    """The published version; an item without one looks absent to a viewer (NotFoundError)."""
    view = studio.get_default_version(session, kind=kind, slug=slug)
    if not view.published:
        raise studio.NotFoundError(f"no published {kind} {slug!r}: viewers see published versions only")
    return view


def allowed_version(
    session: Session, *, kind: studio.Kind, slug: str, number: int | None, role: Role, action: str
) -> VersionView:
    """The version `number` of an item if `role` may `action` it (None: the published one, else the latest).

    Viewers get the published version only; asking for any other number raises AccessError naming it.
    """
    if role == "editor":
        if number is None:
            return studio.get_default_version(session, kind=kind, slug=slug)
        return studio.get_version(session, kind=kind, slug=slug, number=number)
    view = published_version(session, kind=kind, slug=slug)
    if number is not None and int(number) != view.number:
        raise AccessError(
            f"Not allowed to {action} {kind} {slug!r} v{number}: viewers may use published versions only. "
            f"Pick the published version, v{view.number}."
        )
    return view
