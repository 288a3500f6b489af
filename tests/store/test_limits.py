"""Over a limit: a clear message naming the field and the limit, and nothing stored changes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import Session

from stepaudio_ui.exchange import formats as io_formats
from stepaudio_ui.studio import library as studio
from stepaudio_ui.studio.specs import ExampleExchange
from tests.store.examples import persona_spec

# field -> (a value one over the limit, what the message must say)
OVER_LIMIT: dict[str, tuple[Any, str]] = {
    "name": ("n" * 81, "name: String should have at most 80 characters"),
    "tagline": ("t" * 161, "tagline: String should have at most 160 characters"),
    "character": ("c" * 6_001, "character: String should have at most 6000 characters"),
    "greeting": ("g" * 501, "greeting: String should have at most 500 characters"),
    "speaking_style": ("s" * 1_001, "speaking_style: String should have at most 1000 characters"),
    "examples": (
        [{"user": "hi", "assistant": "hello"}] * 13,
        "examples: List should have at most 12 items",
    ),
    "tags": ([f"t{i}" for i in range(21)], "tags: List should have at most 20 items"),
    "one tag": (["x" * 41], r"tags\[0\]: String should have at most 40 characters"),
    "example text": (
        [{"user": "u" * 1_001, "assistant": "a"}],
        r"examples\[0\]\.user: String should have at most 1000 characters",
    ),
}
FIELD_OF = {"one tag": "tags", "example text": "examples"}


def _history(session: Session) -> list[tuple[int, str, str]]:
    return [(v.number, v.author, v.spec.tagline) for v in studio.list_versions(session, kind="persona", slug="ada")]


@pytest.mark.parametrize("case", sorted(OVER_LIMIT))
def test_an_over_limit_field_is_refused_by_name_and_nothing_changes(session: Session, case: str) -> None:
    studio.create_item(session, kind="persona", spec=persona_spec(), author="kim")
    before = _history(session)
    value, message = OVER_LIMIT[case]
    form = {**persona_spec().model_dump(mode="json"), FIELD_OF.get(case, case): value}
    with pytest.raises(studio.StudioError, match=f"invalid persona: {message}"):
        studio.save_version(session, kind="persona", slug="ada", spec=form, base_number=1, author="lee")
    with pytest.raises(studio.StudioError, match=f"invalid persona: {message}"):
        studio.create_item(session, kind="persona", spec=form, author="lee")
    assert _history(session) == before
    assert [item.slug for item in studio.list_items(session, kind="persona")] == ["ada"]


def test_over_long_note_and_author_are_refused_and_nothing_changes(session: Session) -> None:
    studio.create_item(session, kind="persona", spec=persona_spec(), author="kim")
    edit = persona_spec(tagline="new")
    with pytest.raises(studio.StudioError, match="the version note is 501 characters long; shorten it to at most 500"):
        studio.save_version(session, kind="persona", slug="ada", spec=edit, base_number=1, author="lee", note="n" * 501)
    with pytest.raises(studio.StudioError, match="author is 81 characters long; use at most 80"):
        studio.save_version(session, kind="persona", slug="ada", spec=edit, base_number=1, author="a" * 81)
    assert _history(session) == [(1, "kim", "A calm helper.")]
    saved = studio.save_version(session, kind="persona", slug="ada", spec=edit, base_number=1, author="lee")
    assert saved.number == 2  # the same edit, within the limits, goes through


def test_an_import_with_an_over_limit_version_on_top_changes_nothing(session: Session) -> None:
    studio.create_item(session, kind="persona", spec=persona_spec(), author="kim")
    document = json.loads(io_formats.export_bytes(session, kind="persona", slug="ada"))
    document["versions"].append(
        {"number": 2, "author": "lee", "spec": {**document["versions"][0]["spec"], "greeting": "g" * 501}}
    )
    with pytest.raises(
        studio.ImportProblem, match=r"versions\[1\]\.spec\.greeting: String should have at most 500 characters"
    ):
        io_formats.import_bytes(session, json.dumps(document).encode(), author="lee", max_bytes=2_000_000)
    assert _history(session) == [(1, "kim", "A calm helper.")]


def test_the_largest_persona_within_every_limit_round_trips(session: Session) -> None:
    """The limits are the real ones: a persona at every maximum saves, exports and imports whole."""
    biggest = persona_spec(
        "N" * 80,
        tagline="t" * 160,
        character="c" * 6_000,
        greeting="g" * 500,
        speaking_style="s" * 1_000,
        examples=[ExampleExchange(user="u" * 1_000, assistant="a" * 1_000)] * 12,
        tags=[f"{i:02d}" + "x" * 38 for i in range(20)],
    )
    view = studio.create_item(session, kind="persona", spec=biggest, author="kim", slug="big")
    assert studio.get_version(session, kind="persona", slug="big").spec == biggest
    data = io_formats.export_bytes(session, kind="persona", slug=view.slug)
    report = io_formats.import_bytes(session, data, author="lee", max_bytes=2_000_000)
    assert report.describe() == "persona big: unchanged (v1)"
