"""One text chunk of a PNG (tEXt, zTXt or iTXt), found without decoding pixels and unpacked with bounded memory.

Character Cards keep their JSON in a text chunk, often after the image data. Only the chunk asked for is
read: every other text chunk is skipped unread, and the one asked for is unpacked to at most `max_bytes`.
Unpacking every chunk in full let a 194 KB PNG whose comment chunk held a zip bomb cost 525 MB.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from stepaudio_ui.studio.core import ImportProblem

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TEXT_CHUNKS = (b"tEXt", b"zTXt", b"iTXt")
MAX_KEYWORD = 79  # the PNG specification's limit on a text chunk's keyword


@dataclass(frozen=True)
class FoundText:
    text: str | None  # the chunk's text; None when the PNG has no chunk with the keyword
    complete: bool  # whether the file reached its IEND chunk


def find_text(data: bytes, keywords: tuple[str, ...], *, max_bytes: int) -> FoundText:
    """The text of the first chunk whose keyword is the earliest in `keywords` that the PNG has.

    Raises ImportProblem for a truncated chunk or a text over `max_bytes`; struct.error, zlib.error,
    ValueError and UnicodeDecodeError for a damaged one (the caller names the file).
    """
    found: dict[str, str] = {}
    offset = len(PNG_SIGNATURE)
    complete = False
    while offset + 8 <= len(data):
        length, chunk_type = struct.unpack(">I4s", data[offset : offset + 8])
        start, offset = offset + 8, offset + 12 + length  # length, type, body, crc
        if chunk_type == b"IEND":
            complete = True
            break
        if chunk_type not in TEXT_CHUNKS:
            continue
        if start + length > len(data):
            raise ImportProblem("the PNG file is truncated; export the card again")
        head = data[start : start + min(length, MAX_KEYWORD + 1)]
        keyword = head.split(b"\0", 1)[0].decode("latin-1")
        if b"\0" not in head or keyword not in keywords or keyword in found:
            continue  # another chunk's text: never copied, never unpacked
        body = data[start + len(keyword) + 1 : start + length]
        found[keyword] = _chunk_text(chunk_type, body, keyword, max_bytes)
    text = next((found[keyword] for keyword in keywords if keyword in found), None)
    return FoundText(text, complete)


def _chunk_text(chunk_type: bytes, body: bytes, keyword: str, max_bytes: int) -> str:
    """A text chunk's body after its keyword, as text."""
    if chunk_type == b"tEXt":
        return _within(body, keyword, max_bytes).decode("latin-1")
    if chunk_type == b"zTXt":  # compression method (1 byte), then zlib data
        return _inflate(body[1:], keyword, max_bytes).decode("latin-1")
    compressed, rest = body[0], body[2:]  # iTXt: flag, method, language\0, translated keyword\0, text
    _language, _translated, value = rest.split(b"\0", 2)
    return (_inflate(value, keyword, max_bytes) if compressed else _within(value, keyword, max_bytes)).decode("utf-8")


def _inflate(packed: bytes, keyword: str, max_bytes: int) -> bytes:
    """zlib-unpack at most max_bytes + 1 bytes: a bomb is found out after that much work and memory."""
    unpacked = zlib.decompressobj().decompress(packed, max_bytes + 1)
    return _within(unpacked, keyword, max_bytes)


def _within(text: bytes, keyword: str, max_bytes: int) -> bytes:
    if len(text) > max_bytes:
        raise ImportProblem(
            f"the PNG's {keyword!r} chunk unpacks to more than {max_bytes:,} bytes, more than a card within the "
            "import limit holds; import a smaller card, or raise STEPAUDIO_MAX_IMPORT_BYTES"
        )
    return text
