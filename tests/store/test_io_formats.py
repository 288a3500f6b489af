"""Import / export: our JSON and Character Cards (JSON and PNG), round trips, and every bad-file case."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
import sqlalchemy.exc
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from sqlmodel import Session

from stepaudio_ui.exchange import formats as io_formats
from stepaudio_ui.exchange.formats import ImportProblem, export_bytes, import_bytes, library_bytes
from stepaudio_ui.studio import library as studio
from stepaudio_ui.studio.store import Database
from tests.store.examples import card_json, persona_spec, scene_spec

LIMIT = 2_000_000


def _import(session: Session, data: bytes, **options: Any) -> io_formats.ImportReport:
    return import_bytes(session, data, author="importer", max_bytes=options.pop("max_bytes", LIMIT), **options)


def _history(session: Session, kind: str, slug: str) -> list[tuple[Any, ...]]:
    return [
        (v.number, v.spec, v.author, v.note, v.based_on, v.created_at, v.published)
        for v in studio.list_versions(session, kind=kind, slug=slug)  # type: ignore[arg-type]
    ]


def _fill(session: Session) -> None:
    studio.create_item(session, kind="persona", spec=persona_spec(), author="kim", note="first")
    studio.save_version(
        session, kind="persona", slug="ada", spec=persona_spec(tagline="v2"), base_number=1, author="lee"
    )
    studio.publish_version(session, kind="persona", slug="ada", number=1)
    studio.create_item(session, kind="scene", spec=scene_spec(), author="kim")
    studio.create_item(session, kind="persona", spec=persona_spec("Old"), author="kim")
    studio.set_archived(session, kind="persona", slug="old", archived=True)


def test_item_export_import_round_trip_is_lossless(session: Session, other_db: Database) -> None:
    _fill(session)
    data = export_bytes(session, kind="persona", slug="ada")
    document = json.loads(data)
    assert (document["format"], document["format_version"], document["published_version"]) == (
        "stepaudio-persona",
        1,
        1,
    )
    assert [v["number"] for v in document["versions"]] == [1, 2]
    with other_db.session() as other:
        report = _import(other, data, expect="persona", source_name="ada.json")
        assert report.describe() == "persona ada: created (v2)"
        assert _history(other, "persona", "ada") == _history(session, "persona", "ada")
        assert export_bytes(other, kind="persona", slug="ada") == data


def test_library_round_trip_keeps_archived_and_scenes(session: Session, other_db: Database) -> None:
    _fill(session)
    data = library_bytes(session)
    with other_db.session() as other:
        report = _import(other, data, expect="library")
        assert sorted((i.kind, i.slug, i.action) for i in report.items) == [
            ("persona", "ada", "created"), ("persona", "old", "created"), ("scene", "in-the-car", "created"),
        ]  # fmt: skip
        assert [i.slug for i in studio.list_items(other, kind="persona", include_archived=True) if i.archived] == [
            "old"
        ]
        for kind, slug in (("persona", "ada"), ("persona", "old"), ("scene", "in-the-car")):
            assert _history(other, kind, slug) == _history(session, kind, slug)


def test_times_without_a_zone_are_read_as_utc(session: Session) -> None:
    data = _export_doc(created_at="2025-03-01T10:00:00", versions=[
        {"number": 1, "created_at": "2025-03-01T10:00:00", "spec": persona_spec().model_dump(mode="json")},
        {"number": 2, "created_at": "2025-03-02T08:30:00+08:00", "spec": persona_spec(tagline="x").model_dump(mode="json")},
    ])  # fmt: skip
    _import(session, data)
    times = [v.created_at.isoformat() for v in studio.list_versions(session, kind="persona", slug="ada")]
    assert times == ["2025-03-02T00:30:00+00:00", "2025-03-01T10:00:00+00:00"]


def test_importing_an_existing_slug_adds_one_version_on_top(session: Session) -> None:
    _fill(session)
    exported = json.loads(export_bytes(session, kind="persona", slug="ada"))
    again = _import(session, json.dumps(exported).encode(), source_name="ada.json")
    assert again.items[0].action == "unchanged" and len(studio.list_versions(session, kind="persona", slug="ada")) == 2
    exported["versions"][-1]["spec"]["tagline"] = "edited elsewhere"
    report = _import(session, json.dumps(exported).encode(), source_name="ada.json")
    assert report.describe() == "persona ada: new version (v3)"
    latest = studio.get_version(session, kind="persona", slug="ada")
    assert (latest.spec.tagline, latest.author, latest.based_on) == ("edited elsewhere", "importer", 2)
    assert latest.note == "imported from ada.json (v2 by lee)"
    assert studio.get_default_version(session, kind="persona", slug="ada").number == 1  # still published v1


def _png_without_card() -> bytes:
    buffer = io.BytesIO()
    info = PngInfo()
    info.add_text("Software", "paint")
    Image.new("RGB", (4, 4)).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def _export_doc(**changes: Any) -> bytes:
    document: dict[str, Any] = {
        "format": "stepaudio-persona",
        "format_version": 1,
        "slug": "ada",
        "versions": [{"number": 1, "spec": persona_spec().model_dump(mode="json")}],
    }
    document.update(changes)
    return json.dumps(document).encode()


BAD_FILES: dict[str, tuple[bytes, str]] = {
    "not json": (b"name: Ada\n", r"not valid JSON \(line 1, column 1"),
    "not utf-8": (b"\xff\xfe\x00garbage", "neither JSON .* nor a PNG"),
    "empty": (b"  \n", "is empty"),
    "json array": (b"[1, 2]", "holds a JSON list, but an import file is a JSON object"),
    "unknown format": (b'{"format": "tavern-thing"}', "unknown format 'tavern-thing'"),
    "no marker": (b'{"hello": 1}', r"unknown format: expected a studio export .* top-level keys are \['hello'\]"),
    "newer release": (_export_doc(format_version=2), "format_version 2, made by a newer release"),
    "missing versions": (_export_doc(versions=[]), "versions: List should have at least 1 item"),
    "typo field": (_export_doc(colour="red"), "colour: Extra inputs are not permitted"),
    "bad spec field": (
        _export_doc(versions=[{"number": 1, "spec": {**persona_spec().model_dump(mode="json"), "speed": 9}}]),
        r"versions\[0\]\.spec\.speed: Input should be less than or equal to 2",
    ),
    "bad slug": (_export_doc(slug="Not A Slug"), "slug: String should match pattern"),
    "published missing": (_export_doc(published_version=4), "published_version 4 is not one of the versions"),
    "card spec": (json.dumps({"spec": "chara_card_v9", "data": {}}).encode(), "only chara_card_v2"),
    "card without name": (json.dumps(card_json(name="")).encode(), r"data\.name: String should have at least 1"),
    "card too long": (
        json.dumps(card_json(description="x" * 7000)).encode(),
        "does not fit a persona: character: String should have at most 6000",
    ),
    "png without card": (_png_without_card(), "no 'chara' text chunk"),
    "png truncated": (_png_without_card()[:30], "truncated"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_files_get_a_clear_error_and_save_nothing(session: Session, case: str) -> None:
    data, message = BAD_FILES[case]
    with pytest.raises(ImportProblem, match=message):
        _import(session, data)
    assert studio.list_items(session, kind="persona", include_archived=True) == []


def test_oversized_file_is_refused_naming_the_setting(session: Session) -> None:
    with pytest.raises(
        ImportProblem, match=r"is 1,500 bytes, over the import limit of 1,000 bytes.*STEPAUDIO_MAX_IMPORT_BYTES"
    ):
        _import(session, b"{" + b" " * 1498 + b"}", max_bytes=1000)


def test_png_with_broken_chunk_payload(session: Session) -> None:
    buffer = io.BytesIO()
    info = PngInfo()
    info.add_text("chara", "!!!not base64 json!!!")
    Image.new("RGB", (4, 4)).save(buffer, format="PNG", pnginfo=info)
    with pytest.raises(ImportProblem, match="'chara' chunk is not base64 card JSON"):
        _import(session, buffer.getvalue())


def test_wrong_kind_points_to_the_right_command(session: Session) -> None:
    studio.create_item(session, kind="scene", spec=scene_spec(), author="kim")
    scene_file = export_bytes(session, kind="scene", slug="in-the-car")
    with pytest.raises(ImportProblem, match="holds a scene tone; import it with `stepaudio-ui scenes import`"):
        _import(session, scene_file, expect="persona")
    with pytest.raises(ImportProblem, match="holds a whole library; import it with `stepaudio-ui library import`"):
        _import(session, library_bytes(session), expect="scene")


def test_a_library_with_one_bad_item_saves_nothing(session: Session, other_db: Database) -> None:
    _fill(session)
    library = json.loads(library_bytes(session))
    library["scenes"][0]["versions"][0]["spec"]["verbosity"] = 99
    with other_db.session() as other:
        with pytest.raises(
            ImportProblem, match=r"scenes\[0\] \(in-the-car\) has an invalid scene tone: versions\[0\]\.spec\.verbosity"
        ):
            _import(other, json.dumps(library).encode())
        assert studio.list_items(other, kind="persona", include_archived=True) == []


REFUSING_TRIGGER = {
    "sqlite": ["CREATE TRIGGER refuse_scene BEFORE INSERT ON scene BEGIN SELECT RAISE(ABORT, 'disk says no'); END"],
    "postgresql": [
        "CREATE FUNCTION refuse_scene() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'disk says no' USING ERRCODE = 'check_violation'; END $$",
        "CREATE TRIGGER refuse_scene BEFORE INSERT ON scene FOR EACH ROW EXECUTE FUNCTION refuse_scene()",
    ],
}
DROP_TRIGGER = {"sqlite": "DROP TRIGGER refuse_scene", "postgresql": "DROP TRIGGER refuse_scene ON scene"}


def test_a_failure_while_writing_rolls_back_everything(session: Session, other_db: Database, backend: str) -> None:
    """The database refuses the last item (a trigger): the personas written before it are rolled back."""
    _fill(session)
    data = library_bytes(session)
    with other_db.session() as other:
        for statement in REFUSING_TRIGGER[backend]:
            other.connection().exec_driver_sql(statement)
        other.commit()
        with pytest.raises(sqlalchemy.exc.IntegrityError, match="disk says no"):
            _import(other, data)
        assert studio.count_items(other, kind="persona", include_archived=True) == 0
        other.connection().exec_driver_sql(DROP_TRIGGER[backend])
        other.commit()
        assert len(_import(other, data).items) == 3
