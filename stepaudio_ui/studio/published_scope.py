"""What each role may reach of the library: editors everything, viewers published versions only.

Every panel that lists, previews, composes or talks to a persona or scene tone asks here, on the server,
with the caller's role; the dropdowns a viewer is shown are a courtesy, these checks are the rule. A
viewer naming an unpublished item or version directly (for example with gradio_client) gets an
`AccessError` that says which version they may use instead.
"""

from __future__ import annotations

from sqlalchemy import and_, func
from sqlmodel import Session, select

from stepaudio_ui.studio import library as studio
from stepaudio_ui.studio.core import ItemSummary, VersionView, kind_models, language_text, summary_text
from stepaudio_ui.studio.roles import AccessError, Role

PICK_LIMIT = 500  # pickers are for choosing; the library tabs search the rest


def listed_items(session: Session, *, kind: studio.Kind, role: Role, limit: int = PICK_LIMIT) -> list[ItemSummary]:
    """The items a role may pick: every live item for editors; for viewers, published items as their
    published version names them (never the name of a later draft)."""
    if role == "editor":
        return studio.list_items(session, kind=kind, limit=limit)
    return published_items(session, kind=kind, limit=limit)[0]


def published_items(
    session: Session,
    *,
    kind: studio.Kind,
    query: str = "",
    tag: str | None = None,
    language: str | None = None,
    limit: int = PICK_LIMIT,
) -> tuple[list[ItemSummary], int]:
    """What a viewer may list, search and filter: live items with a published version, described, searched
    and ordered by that version alone. The item row's name, tagline, tags and search text copy the LATEST
    version (a draft a viewer must not read), so they are not used here. Returns (first `limit` items,
    how many match, counted up to PICK_LIMIT).

    Words are matched like `studio.list_items` (every word in the name, slug, tagline/description or
    tags); SQL narrows the rows by the published spec's text, the exact match is checked in Python on at
    most 4 x PICK_LIMIT candidates (bounded work per request, however large the library).
    """
    models = kind_models(kind)
    identity, version = models.identity, models.version
    words = query.lower().split()
    owner = getattr(version, models.owner_column)
    statement = (
        select(identity, version)
        .join(version, and_(owner == identity.id, version.number == identity.published_version))
        .where(identity.archived == False)  # noqa: E712 - SQL expression
        .order_by(version.created_at.desc(), identity.id.desc())
    )
    for word in [*words, *([tag.strip().lower()] if tag else [])]:
        if word.isascii() and word.isprintable() and not set(word) & set('"\\'):  # verbatim in the JSON
            statement = statement.where(func.lower(version.spec).like(f"%{word}%"))
    matches: list[ItemSummary] = []
    for row, published in session.exec(statement.limit(PICK_LIMIT * 4)):
        spec = models.spec.model_validate_json(published.spec)
        tags = tuple(spec.tags)
        text = "\n".join([spec.name, row.slug, summary_text(spec), *tags]).lower()
        if not all(word in text for word in words) or (tag and tag.strip().lower() not in tags):
            continue
        if language and language_text(spec) != language:
            continue
        matches.append(
            ItemSummary(
                kind=models.kind, slug=row.slug, name=spec.name, tagline_or_description=summary_text(spec),
                latest_number=published.number, published_number=published.number, archived=False,
                language=language_text(spec), tags=tags, updated_at=published.created_at,
            )
        )  # fmt: skip
        if len(matches) >= PICK_LIMIT:
            break
    return matches[:limit], len(matches)


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
