"""Import files made to hurt the server: each is refused with a clear error that names the field, nothing is
saved, and the memory one costs stays bounded.

Attacks reproduced (each crashed, froze or poisoned the studio before): JSON nested 100,000 deep
(RecursionError), a 5,000-digit number (ValueError), `format` of the wrong type (TypeError), version
numbers near 2^63 (imported, then every later save failed), a card whose `mes_example` held 40,000
newlines (split by a regex that backtracks quadratically, inside the write transaction), and PNG text
chunks that unpack to a hundred megabytes (zip bombs; a 194 KB file cost 525 MB).
"""

from __future__ import annotations

import base64
import io
import json
import struct
import threading
import tracemalloc
import zlib
from typing import Any

import pytest
from PIL import Image
from sqlmodel import Session

from stepaudio_ui.exchange import formats as io_formats
from stepaudio_ui.exchange.chara_card import parse_examples
from stepaudio_ui.exchange.formats import ImportProblem
from stepaudio_ui.studio import library as studio
from stepaudio_ui.studio.store import Database, write_transaction
from tests.store.examples import persona_spec

LIMIT = 2_000_000
HUGE = 2**63 - 1
BOMB_BYTES = 100_000_000  # what the bomb chunks unpack to
MEMORY_BOUND = 16_000_000  # far below one bomb: the import never unpacks one


def _import(session: Session, data: bytes) -> io_formats.ImportReport:
    return io_formats.import_bytes(session, data, author="mallory", max_bytes=LIMIT)


def _export_doc(**changes: Any) -> dict[str, Any]:
    version = {"number": 1, "spec": persona_spec().model_dump(mode="json")}
    return {"format": "stepaudio-persona", "format_version": 1, "slug": "ada", "versions": [version], **changes}


def _card(**data: Any) -> dict[str, Any]:
    return {"spec": "chara_card_v2", "spec_version": "2.0", "data": {"name": "Mal", "description": "A card.", **data}}


def _raw(document: dict[str, Any]) -> bytes:
    return json.dumps(document).encode()


HOSTILE: dict[str, tuple[bytes, str]] = {
    "nested 100,000 deep": (
        b'{"format": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        "nested too deeply",
    ),
    "nested 200 deep inside a card": (
        _raw(_card(extensions={"x": json.loads("[" * 200 + "]" * 200)})),
        r"nested too deeply \(more than 64 levels .* at data\.extensions\.x",
    ),
    "a 5,000-digit number": (
        b'{"format": "stepaudio-persona", "format_version": ' + b"1" * 5_000 + b"}",
        "a number with more than",
    ),
    "NaN": (b'{"format": "stepaudio-persona", "format_version": NaN}', "NaN is not a JSON number"),
    "format is a list": (_raw({"format": ["stepaudio-persona"]}), '"format" must be a string, not a list'),
    "format is an object": (_raw({"format": {"a": 1}}), '"format" must be a string, not an object'),
    "library item format is a list": (
        _raw({"format": "stepaudio-library", "format_version": 1, "personas": [{"format": ["x"]}]}),
        r"personas\[0\] is not a \"stepaudio-persona\" item",
    ),
    "card spec is a list": (_raw({"spec": ["chara_card_v2"], "data": {}}), '"spec" must be a string, not a list'),
    "version number near 2^63": (
        _raw(_export_doc(versions=[{"number": HUGE, "spec": persona_spec().model_dump(mode="json")}])),
        r"versions\[0\]\.number: Input should be less than or equal to 1000000",
    ),
    "based_on near 2^63": (
        _raw(_export_doc(versions=[{"number": 1, "based_on": HUGE, "spec": persona_spec().model_dump(mode="json")}])),
        r"versions\[0\]\.based_on: Input should be less than or equal to 1000000",
    ),
    "a NUL character in a text field": (
        _raw(_export_doc(versions=[{"number": 1, "spec": {**persona_spec().model_dump(mode="json"), "name": "A\0B"}}])),
        r"versions\[0\]\.spec\.name contains a NUL character",
    ),
    "card mes_example of 40,000 newlines": (
        _raw(_card(mes_example="\n" * 40_000)),
        r"data\.mes_example: String should have at most 30000 characters",
    ),
    "card description over the card cap": (
        _raw(_card(description="d" * 30_001)),
        r"data\.description: String should have at most 30000 characters",
    ),
    "card with 1,000 tags": (_raw(_card(tags=["t"] * 1_000)), r"data\.tags: List should have at most 200 items"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_files_get_a_clear_error_naming_the_field_and_save_nothing(session: Session, case: str) -> None:
    studio.create_item(session, kind="persona", spec=persona_spec("Kept"), author="kim")
    data, message = HOSTILE[case]
    with pytest.raises(ImportProblem, match=message):
        _import(session, data)
    assert [item.slug for item in studio.list_items(session, kind="persona", include_archived=True)] == ["kept"]


def test_a_library_with_one_huge_version_number_saves_nothing(session: Session) -> None:
    good = _export_doc(slug="good")
    bad = _export_doc(slug="bad", published_version=HUGE)
    library = {"format": "stepaudio-library", "format_version": 1, "personas": [good, bad]}
    with pytest.raises(ImportProblem, match=r"personas\[1\].*published_version: Input should be less than or equal"):
        _import(session, _raw(library))
    assert studio.list_items(session, kind="persona", include_archived=True) == []


def test_a_bad_card_is_refused_without_waiting_for_the_write_lock(db: Database) -> None:
    """Cards are read and checked before the write transaction: another writer holding the lock (or a slow
    card) delays no one, and a bad card is refused at once instead of after the lock wait."""
    with db.session() as writer, write_transaction(writer):
        refused: list[BaseException] = []

        def import_bad_card() -> None:
            with db.session() as session:
                try:
                    _import(session, _raw(_card(mes_example="\n" * 40_000)))
                except BaseException as error:  # noqa: BLE001 - the test inspects what was raised
                    refused.append(error)

        thread = threading.Thread(target=import_bad_card)
        thread.start()
        thread.join(timeout=60)
        assert refused and isinstance(refused[0], ImportProblem), refused
        assert "data.mes_example" in str(refused[0])


def test_examples_text_is_read_line_by_line() -> None:
    text = "\n\n  <START>  \n{{user}}: hi\n\n{{char}}: hello\nthere\n\n<start>\n<bot>: orphan\n<START>\n<user>: a\n<bot>: b"
    assert parse_examples(text, "Mal") == [
        {"user": "hi", "assistant": "hello\nthere"},
        {"user": "a", "assistant": "b"},
    ]
    assert parse_examples("\n" * 20_000 + "{{user}}: x\n{{char}}: y" + "\n \n" * 2_000, "Mal") == [
        {"user": "x", "assistant": "y"}
    ]


# ------------------------------------------------------------------------------------------ PNG bombs


def _deflated_zeros(size: int) -> bytes:
    """zlib data that unpacks to `size` zero bytes, made without holding them in memory."""
    packer, parts, block = zlib.compressobj(9), [], bytes(1_000_000)
    for _ in range(size // len(block)):
        parts.append(packer.compress(block))
    return b"".join(parts) + packer.flush()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png(*chunks: bytes) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="PNG")
    png = buffer.getvalue()
    end = png.rindex(b"IEND") - 4
    return png[:end] + b"".join(chunks) + png[end:]


def _card_chunk() -> bytes:
    return _chunk(b"tEXt", b"chara\0" + base64.b64encode(_raw(_card())))


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return _deflated_zeros(BOMB_BYTES)


def test_bombs_in_other_text_chunks_are_never_unpacked(session: Session, bomb: bytes) -> None:
    png = _png(
        _chunk(b"zTXt", b"Comment\0\0" + bomb),
        _chunk(b"iTXt", b"Description\0\1\0en\0\0" + bomb),
        _card_chunk(),
    )
    assert len(png) < 300_000  # a small file
    tracemalloc.start()
    try:
        report = _import(session, png)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert report.describe() == "persona mal: created (v1)"
    assert peak < MEMORY_BOUND, f"importing the card peaked at {peak:,} bytes"


@pytest.mark.parametrize("kind", [b"zTXt", b"iTXt"])
def test_a_bomb_in_the_card_chunk_is_refused_naming_the_limit(session: Session, bomb: bytes, kind: bytes) -> None:
    header = b"chara\0\0" if kind == b"zTXt" else b"chara\0\1\0\0\0"
    tracemalloc.start()
    try:
        with pytest.raises(ImportProblem, match=r"'chara' chunk unpacks to more than [\d,]+ bytes"):
            _import(session, _png(_chunk(kind, header + bomb)))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_BOUND, f"refusing the bomb peaked at {peak:,} bytes"
    assert studio.list_items(session, kind="persona", include_archived=True) == []


def test_a_compressed_card_chunk_still_imports(session: Session) -> None:
    packed = zlib.compress(base64.b64encode(_raw(_card())))
    assert _import(session, _png(_chunk(b"zTXt", b"chara\0\0" + packed))).describe() == "persona mal: created (v1)"
