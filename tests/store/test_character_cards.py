"""Character Cards (V1, V2; JSON and PNG): round trips, field mapping, and cards from other editors."""

from __future__ import annotations

import base64
import io
import json
import struct
import zlib
from typing import Any

import pytest
from PIL import Image
from sqlmodel import Session

from stepaudio_ui.exchange import formats as io_formats
from stepaudio_ui.exchange.chara_card import card_data, card_to_persona, format_examples, parse_examples
from stepaudio_ui.exchange.formats import export_bytes, import_bytes
from stepaudio_ui.studio import library as studio
from stepaudio_ui.studio.specs import ExampleExchange
from stepaudio_ui.studio.store import Database
from tests.store.examples import card_json, persona_spec, scene_spec

LIMIT = 2_000_000


def _import(session: Session, data: bytes, **options: Any) -> io_formats.ImportReport:
    return import_bytes(session, data, author="importer", max_bytes=options.pop("max_bytes", LIMIT), **options)


@pytest.mark.parametrize("fmt", ["chara-json", "chara-png"])
def test_character_card_round_trip_is_lossless(session: Session, other_db: Database, fmt: str) -> None:
    spec = persona_spec(
        "Lin Laoshi",
        language="both",
        character="你好! You are Lin, a bilingual tutor.\nTwo lines.",
        examples=[ExampleExchange(user="How do I say hi?", assistant="你好 (nǐ hǎo).\nTry it!"),
                  ExampleExchange(user="Thanks", assistant="不客气.")],
        speed=1.1,
    )  # fmt: skip
    studio.create_item(session, kind="persona", spec=spec, author="kim")
    data = export_bytes(session, kind="persona", slug="lin-laoshi", fmt=fmt)  # type: ignore[arg-type]
    if fmt == "chara-png":
        assert Image.open(io.BytesIO(data)).size == (400, 600)
    with other_db.session() as other:
        report = _import(other, data, expect="persona")
        assert report.items[0].slug == "lin-laoshi"
        imported = studio.get_version(other, kind="persona", slug="lin-laoshi")
        assert imported.spec == spec
        assert imported.note == "imported from a Character Card (character_version 1)"


def test_card_fields_map_onto_ours() -> None:
    card = json.loads(json.dumps(card_json()))
    spec, slug, note = card_to_persona(card_data(card))
    assert slug is None and note == "imported from a Character Card (character_version 3.1)"
    assert spec.name == "Seraphina"
    assert (
        spec.character
        == "Stay in character.\n\nSeraphina is a forest guardian.\n\nScenario: User is lost in the forest."
    )
    assert spec.speaking_style == "gentle, protective"
    assert spec.greeting == "Welcome, traveller. I am Seraphina."
    assert spec.tagline == "A kind guardian."
    assert [e.model_dump() for e in spec.examples] == [
        {"user": "Who are you?", "assistant": "I am Seraphina, keeper of\nthis glade."},
        {"user": "Help me, Seraphina!", "assistant": "Stay close, User."},
    ]
    assert spec.tags == ["fantasy", "guardian"] and spec.language == "en"


def test_foreign_png_card_with_text_after_image_data_imports(session: Session) -> None:
    """Other editors write the chara chunk after IDAT; we read chunks without Pillow's ordering."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="PNG")
    png = buffer.getvalue()
    payload = base64.b64encode(json.dumps(card_json()).encode())
    body = b"chara\0" + payload
    chunk = struct.pack(">I", len(body)) + b"tEXt" + body + struct.pack(">I", zlib.crc32(b"tEXt" + body))
    iend = png.rindex(b"IEND") - 4
    report = _import(session, png[:iend] + chunk + png[iend:])
    assert report.describe() == "persona seraphina: created (v1)"


def test_v1_card_and_examples_text_round_trip(session: Session) -> None:
    v1_card = {k: v for k, v in card_json()["data"].items() if k in ("name", "description", "first_mes", "mes_example")}
    assert _import(session, json.dumps(v1_card).encode()).items[0].slug == "seraphina"
    examples = [ExampleExchange(user="a\nb", assistant="c"), ExampleExchange(user="d", assistant="e")]
    assert parse_examples(format_examples(examples), "X") == [e.model_dump() for e in examples]


def test_scene_cards_are_refused(session: Session) -> None:
    studio.create_item(session, kind="scene", spec=scene_spec(), author="kim")
    with pytest.raises(studio.StudioError, match="Character Cards hold characters, not scene tones"):
        export_bytes(session, kind="scene", slug="in-the-car", fmt="chara-json")
