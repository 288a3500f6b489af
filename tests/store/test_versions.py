"""Versions, restore, publish, duplicate, archive, list and search: the studio use cases on a real SQLite file."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from stepaudio_ui.studio import library as studio
from stepaudio_ui.studio.store import PersonaVersion
from tests.store.examples import persona_spec, scene_spec


def test_create_then_save_numbers_versions_and_keeps_old_ones(session: Session) -> None:
    v1 = studio.create_item(session, kind="persona", spec=persona_spec(), author="kim", note="first")
    assert (v1.slug, v1.number, v1.based_on, v1.author, v1.note) == ("ada", 1, None, "kim", "first")
    v2 = studio.save_version(
        session,
        kind="persona",
        slug="ada",
        spec=persona_spec(tagline="Warmer."),
        base_number=1,
        author="lee",
        note="warmer",
    )
    assert (v2.number, v2.based_on, v2.author) == (2, 1, "lee")
    assert studio.get_version(session, kind="persona", slug="ada").number == 2
    assert studio.get_version(session, kind="persona", slug="ada", number=1).spec.tagline == "A calm helper."
    assert [v.number for v in studio.list_versions(session, kind="persona", slug="ada")] == [2, 1]
    assert v2.created_at.tzinfo is not None


def test_slugs_are_derived_and_made_unique(session: Session) -> None:
    first = studio.create_item(session, kind="persona", spec=persona_spec("Ada — the In-Car Helper!"), author="kim")
    second = studio.create_item(session, kind="persona", spec=persona_spec("Ada: the in-car helper"), author="kim")
    third = studio.create_item(session, kind="persona", spec=persona_spec("ada the in car helper"), author="kim")
    assert [first.slug, second.slug, third.slug] == [
        "ada-the-in-car-helper", "ada-the-in-car-helper-2", "ada-the-in-car-helper-3",
    ]  # fmt: skip
    chinese = studio.create_item(session, kind="scene", spec=scene_spec("中文服务热线"), author="kim")
    assert chinese.slug == "zhong-wen-fu-wu-re-xian"  # pinyin, not a placeholder


def test_explicit_slug_is_checked(session: Session) -> None:
    studio.create_item(session, kind="persona", spec=persona_spec(), author="kim", slug="nova")
    with pytest.raises(studio.StudioError, match="slug 'nova' is taken"):
        studio.create_item(session, kind="persona", spec=persona_spec(), author="kim", slug="nova")
    with pytest.raises(studio.StudioError, match="not valid"):
        studio.create_item(session, kind="persona", spec=persona_spec(), author="kim", slug="Bad Slug")


def test_saving_identical_spec_is_refused(session: Session) -> None:
    studio.create_item(session, kind="persona", spec=persona_spec(), author="kim")
    with pytest.raises(studio.StudioError, match="nothing changed since version 1"):
        studio.save_version(session, kind="persona", slug="ada", spec=persona_spec(), base_number=1, author="kim")


def test_bad_requests_name_the_problem(session: Session) -> None:
    studio.create_item(session, kind="persona", spec=persona_spec(), author="kim")
    with pytest.raises(studio.NotFoundError, match="no persona with slug 'bob'.*personas list"):
        studio.get_version(session, kind="persona", slug="bob")
    with pytest.raises(studio.NotFoundError, match="has no version 7; its versions are 1 to 1"):
        studio.get_version(session, kind="persona", slug="ada", number=7)
    with pytest.raises(studio.StudioError, match="base version 5 .* does not exist"):
        studio.save_version(
            session, kind="persona", slug="ada", spec=persona_spec(tagline="x"), base_number=5, author="k"
        )
    with pytest.raises(studio.StudioError, match="author is empty"):
        studio.save_version(
            session, kind="persona", slug="ada", spec=persona_spec(tagline="x"), base_number=1, author=" "
        )
    with pytest.raises(studio.StudioError, match="cannot be saved as a persona"):
        studio.create_item(session, kind="persona", spec=scene_spec(), author="kim")
    with pytest.raises(
        studio.StudioError, match=r"invalid persona: traits\.warmth: Input should be less than or equal to 1"
    ):
        studio.create_item(
            session, kind="persona", spec={"name": "X", "character": "c", "traits": {"warmth": 3}}, author="kim"
        )
    with pytest.raises(studio.StudioError, match="unknown kind 'voice'"):
        studio.list_items(session, kind="voice")  # type: ignore[arg-type]


def test_form_dicts_are_validated_like_specs(session: Session) -> None:
    view = studio.create_item(session, kind="scene", spec={"name": "Quiet", "verbosity": 2}, author="kim")
    assert view.spec.verbosity == 2 and view.kind == "scene"


def test_restore_adds_a_new_version_with_old_content(session: Session) -> None:
    studio.create_item(session, kind="persona", spec=persona_spec(), author="kim")
    studio.save_version(
        session, kind="persona", slug="ada", spec=persona_spec(tagline="v2"), base_number=1, author="kim"
    )
    v3 = studio.restore_version(session, kind="persona", slug="ada", number=1, author="lee")
    assert (v3.number, v3.note, v3.based_on, v3.author) == (3, "restored from v1", 1, "lee")
    assert v3.spec == studio.get_version(session, kind="persona", slug="ada", number=1).spec
    assert session.exec(select(PersonaVersion)).all().__len__() == 3  # nothing rewritten or deleted
    with pytest.raises(studio.StudioError, match="already the latest"):
        studio.restore_version(session, kind="persona", slug="ada", number=3, author="lee")
    with pytest.raises(studio.StudioError, match="already has the content of version 1"):
        studio.restore_version(session, kind="persona", slug="ada", number=1, author="lee")


def test_publish_sets_the_default_version(session: Session) -> None:
    studio.create_item(session, kind="scene", spec=scene_spec(), author="kim")
    studio.save_version(
        session, kind="scene", slug="in-the-car", spec=scene_spec(mood="tense"), base_number=1, author="k"
    )
    assert studio.get_default_version(session, kind="scene", slug="in-the-car").number == 2  # latest while unpublished
    published = studio.publish_version(session, kind="scene", slug="in-the-car", number=1)
    assert published.published and published.number == 1
    assert studio.get_default_version(session, kind="scene", slug="in-the-car").number == 1
    flags = {v.number: v.published for v in studio.list_versions(session, kind="scene", slug="in-the-car")}
    assert flags == {2: False, 1: True}
    with pytest.raises(studio.NotFoundError):
        studio.publish_version(session, kind="scene", slug="in-the-car", number=9)


def test_duplicate_copies_latest_under_a_new_name(session: Session) -> None:
    studio.create_item(session, kind="persona", spec=persona_spec(), author="kim")
    studio.save_version(session, kind="persona", slug="ada", spec=persona_spec(tagline="v2"), base_number=1, author="k")
    copy = studio.duplicate_item(session, kind="persona", slug="ada", new_name="Ada Two", author="lee")
    assert (copy.slug, copy.number, copy.spec.name, copy.spec.tagline) == ("ada-two", 1, "Ada Two", "v2")
    assert copy.note == "duplicated from ada v2"
    with pytest.raises(studio.StudioError, match="name"):
        studio.duplicate_item(session, kind="persona", slug="ada", new_name="", author="lee")


def test_archive_hides_from_lists_and_unarchive_brings_back(session: Session) -> None:
    studio.create_item(session, kind="persona", spec=persona_spec(), author="kim")
    studio.create_item(session, kind="persona", spec=persona_spec("Bob"), author="kim")
    studio.set_archived(session, kind="persona", slug="bob", archived=True)
    assert [i.slug for i in studio.list_items(session, kind="persona")] == ["ada"]
    listed = studio.list_items(session, kind="persona", include_archived=True)
    assert {i.slug: i.archived for i in listed} == {"ada": False, "bob": True}
    assert studio.get_version(session, kind="persona", slug="bob").number == 1  # still readable
    studio.set_archived(session, kind="persona", slug="bob", archived=False)
    assert len(studio.list_items(session, kind="persona")) == 2


def test_list_filters_search_and_pages(session: Session) -> None:
    studio.create_item(
        session, kind="persona", spec=persona_spec("Nova", tagline="Road co-pilot", tags=["automotive"]), author="k"
    )
    studio.create_item(
        session, kind="persona", spec=persona_spec("Lin", language="both", tags=["tutor", "zh"]), author="k"
    )
    studio.create_item(session, kind="persona", spec=persona_spec("Luna", tagline="100% stories"), author="k")
    studio.save_version(session, kind="persona", slug="nova", spec=persona_spec("Nova", tagline="Road co-pilot", tags=["automotive", "calm"]), base_number=1, author="k")  # fmt: skip

    def slugs(**filters: object) -> list[str]:
        return [item.slug for item in studio.list_items(session, kind="persona", **filters)]  # type: ignore[arg-type]

    assert slugs() == ["nova", "luna", "lin"]  # most recently changed first
    assert slugs(query="CO-PILOT") == ["nova"]  # tagline, case-insensitive
    assert slugs(query="lu") == ["luna"]  # name / slug
    assert slugs(query="zh") == ["lin"]  # tags
    assert slugs(query="road nova") == ["nova"] and slugs(query="road lin") == []  # every word must match
    assert slugs(query="100%") == ["luna"] and slugs(query="%") == ["luna"]  # LIKE wildcards are literal
    assert slugs(tag="calm") == ["nova", "luna"] and slugs(tag="automotive") == ["nova"]
    assert slugs(tag="auto") == []  # tags match whole
    assert slugs(language="both") == ["lin"]
    assert slugs(limit=2) == ["nova", "luna"] and slugs(limit=2, offset=2) == ["lin"]
    assert studio.count_items(session, kind="persona", tag="calm") == 2
    summary = studio.list_items(session, kind="persona", query="nova")[0]
    assert (summary.name, summary.tagline_or_description, summary.latest_number, summary.tags) == (
        "Nova", "Road co-pilot", 2, ("automotive", "calm"),
    )  # fmt: skip
    with pytest.raises(studio.StudioError, match="limit 1-500"):
        studio.list_items(session, kind="persona", limit=0)


def test_scenes_list_their_description_and_language_override(session: Session) -> None:
    studio.create_item(session, kind="scene", spec=scene_spec("Hotline", language_override="zh"), author="k")
    studio.create_item(session, kind="scene", spec=scene_spec("Library"), author="k")
    items = {i.slug: i for i in studio.list_items(session, kind="scene")}
    assert items["hotline"].language == "zh" and items["library"].language == ""
    assert items["library"].tagline_or_description == "A moving car."
    assert [i.slug for i in studio.list_items(session, kind="scene", language="zh")] == ["hotline"]
    assert studio.list_items(session, kind="persona") == []  # kinds never mix


def test_list_tags_counts_tags_in_use(session: Session) -> None:
    studio.create_item(session, kind="persona", spec=persona_spec("A", tags=["calm", "support"]), author="k")
    studio.create_item(session, kind="persona", spec=persona_spec("B", tags=["calm"]), author="k")
    studio.create_item(session, kind="persona", spec=persona_spec("C", tags=["kids"]), author="k")
    studio.set_archived(session, kind="persona", slug="c", archived=True)
    assert studio.list_tags(session, kind="persona") == [("calm", 2), ("kids", 1), ("support", 1)]
    assert studio.list_tags(session, kind="persona", include_archived=False) == [("calm", 2), ("support", 1)]
    assert studio.list_tags(session, kind="scene") == []
