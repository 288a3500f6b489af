"""Character Card V2 (`chara_card_v2`) <-> persona spec, as JSON or as a PNG with a `chara` text chunk.

Field mapping (card -> persona; the reverse on export):
  name -> name                       description (+ system_prompt before, scenario after) -> character
  personality -> speaking_style      creator_notes (first line, <= 160 chars) -> tagline
  first_mes -> greeting              mes_example (<START> blocks of {{user}}: / {{char}}: lines) -> examples
  tags -> tags (lower-cased, first 20)   character_version -> the version note
Everything a card has no field for (traits, voice, speed, guardrails, language) travels under
data.extensions.stepaudio, so our export -> import round trip is lossless; the card's visible fields
still win, so edits made in another card editor are kept. {{char}} / {{user}} macros in imported
text become the persona's name / "User".
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import re
import struct
import zlib
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from model.text_language import languages_of
from stepaudio_ui.specs import ExampleExchange, PersonaSpec
from stepaudio_ui.studio_core import ImportProblem, validation_problem

CARD_SPEC = "chara_card_v2"
CARD_SPEC_VERSION = "2.0"
ACCEPTED_SPECS = ("chara_card_v2", "chara_card_v3")  # v3 keeps every v2 field we map
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_KEYWORD = "chara"
_SPEAKER = re.compile(r"^\s*(\{\{user\}\}|<user>|\{\{char\}\}|<bot>)\s*:\s?(.*)$", re.IGNORECASE)
_START = re.compile(r"^\s*<start>\s*$", re.IGNORECASE | re.MULTILINE)


class CardData(BaseModel):
    """The `data` object of a V2 card; unknown fields (character_book, ...) are allowed and ignored."""

    model_config = ConfigDict(extra="allow")
    name: str = Field(min_length=1)
    description: str = ""
    personality: str = ""
    scenario: str = ""
    first_mes: str = ""
    mes_example: str = ""
    creator_notes: str = ""
    system_prompt: str = ""
    post_history_instructions: str = ""
    alternate_greetings: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    creator: str = ""
    character_version: str = ""
    extensions: dict[str, Any] = Field(default_factory=dict)


# --------------------------------------------------------------------------- examples text


def format_examples(examples: list[ExampleExchange] | tuple[ExampleExchange, ...]) -> str:
    return "\n".join(f"<START>\n{{{{user}}}}: {ex.user}\n{{{{char}}}}: {ex.assistant}" for ex in examples)


def parse_examples(text: str, char_name: str) -> list[dict[str, str]]:
    """'<START>\\n{{user}}: hi\\n{{char}}: hello' -> [{'user': 'hi', 'assistant': 'hello'}].

    A line without a speaker continues the previous message; a user message without a reply is dropped.
    """
    examples: list[dict[str, str]] = []
    for block in _START.split(text):
        messages: list[list[str]] = []
        for line in block.splitlines():
            match = _SPEAKER.match(line)
            if match:
                role = "user" if match.group(1).lower() in ("{{user}}", "<user>") else "assistant"
                messages.append([role, match.group(2)])
            elif messages:
                messages[-1][1] += "\n" + line
        for (role, said), (next_role, reply) in zip(messages, messages[1:], strict=False):
            if role == "user" and next_role == "assistant":
                user, assistant = _expand(said, char_name).strip(), _expand(reply, char_name).strip()
                if user and assistant:
                    examples.append({"user": user, "assistant": assistant})
    return examples


def _expand(text: str, char_name: str) -> str:
    return re.sub(r"\{\{user\}\}", "User", re.sub(r"\{\{char\}\}", char_name, text, flags=re.I), flags=re.I)


def _one_line(text: str, limit: int) -> str:
    if len(text) <= limit and "\n" not in text:
        return text
    first = text.strip().splitlines()[0] if text.strip() else ""
    if len(first) <= limit:
        return first
    return first[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


# --------------------------------------------------------------------------- card <-> spec


def persona_to_card(spec: PersonaSpec, *, slug: str, number: int, author: str) -> dict[str, Any]:
    data = CardData(
        name=spec.name,
        description=spec.character,
        personality=spec.speaking_style,
        first_mes=spec.greeting,
        mes_example=format_examples(spec.examples),
        creator_notes=spec.tagline,
        tags=list(spec.tags),
        creator=author,
        character_version=str(number),
        extensions={
            "stepaudio": {
                "format_version": 1,
                "kind": "persona",
                "slug": slug,
                "version": number,
                "spec": spec.model_dump(mode="json"),
            }
        },
    )
    return {"spec": CARD_SPEC, "spec_version": CARD_SPEC_VERSION, "data": data.model_dump(mode="json")}


def card_data(document: dict[str, Any]) -> CardData:
    """The card's data from a V2/V3 document, or a V1 card (the same fields at the top level)."""
    raw = document.get("data") if "spec" in document else document
    if not isinstance(raw, dict):
        raise ImportProblem('the Character Card has no "data" object; it is not a valid chara_card_v2 file')
    try:
        return CardData.model_validate(raw)
    except ValidationError as error:
        raise ImportProblem(f"the Character Card is not valid: {validation_problem(error, 'data')}") from None


def card_to_persona(data: CardData) -> tuple[PersonaSpec, str | None, str]:
    """-> (spec, the slug it was exported under if it came from us, a version note)."""
    name = data.name.strip()
    ours = data.extensions.get("stepaudio") if isinstance(data.extensions.get("stepaudio"), dict) else {}
    character_parts = [data.system_prompt, data.description] + ([f"Scenario: {data.scenario}"] if data.scenario else [])
    character = _expand("\n\n".join(part.strip() for part in character_parts if part.strip()), name)
    visible: dict[str, Any] = {
        "name": name,
        "character": character or f"You are {name}.",
        "speaking_style": _expand(data.personality, name),
        "greeting": _expand(data.first_mes, name),
        "examples": parse_examples(data.mes_example, name),
        "tagline": _one_line(_expand(data.creator_notes, name), 160),
        "tags": list(dict.fromkeys(tag.strip().lower() for tag in data.tags if 0 < len(tag.strip()) <= 40))[:20],
        # A card knows no scene tones, and a slug from another library means nothing here: pick one after import.
        "home_scene": None,
    }
    base = ours.get("spec") if isinstance(ours.get("spec"), dict) else {}
    if not base:
        visible["language"] = languages_of(name, character, data.first_mes)
    try:
        spec = PersonaSpec.model_validate({**base, **visible})
    except ValidationError as error:
        raise ImportProblem(
            f"the Character Card does not fit a persona: {validation_problem(error)} (character comes from the "
            "card's system_prompt + description + scenario, speaking_style from personality, greeting from "
            "first_mes, examples from mes_example); shorten that field in the card and import again"
        ) from None
    slug = ours.get("slug") if isinstance(ours.get("slug"), str) else None
    note = "imported from a Character Card" + (
        f" (character_version {data.character_version})" if data.character_version else ""
    )
    return spec, slug, note


# --------------------------------------------------------------------------- PNG


def card_to_png(card: dict[str, Any], *, title: str) -> bytes:
    """A 400x600 portrait (colour from the name, initials drawn) carrying the card in a `chara` tEXt chunk."""
    from PIL import Image, ImageDraw, ImageFont
    from PIL.PngImagePlugin import PngInfo

    digest = hashlib.sha256(title.encode()).digest()
    image = Image.new("RGB", (400, 600), (60 + digest[0] % 140, 60 + digest[1] % 140, 60 + digest[2] % 140))
    # ASCII only: the bundled font has no CJK glyphs ("小星 Xiaoxing" -> "X").
    initials = "".join(word[0] for word in title.split() if word[0].isascii() and word[0].isalnum())[:2].upper()
    initials = initials or "?"
    try:
        font: Any = ImageFont.load_default(size=160)
    except (TypeError, OSError):  # Pillow without FreeType: the small bitmap font
        font = ImageFont.load_default()
    ImageDraw.Draw(image).text((200, 300), initials, fill=(255, 255, 255), font=font, anchor="mm")
    info = PngInfo()
    info.add_text(PNG_KEYWORD, base64.b64encode(json.dumps(card, ensure_ascii=False).encode()).decode("ascii"))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def _png_text_chunks(data: bytes) -> tuple[dict[str, str], bool]:
    """tEXt / zTXt / iTXt chunks of a PNG, read without decoding pixels (cards put them after IDAT),
    and whether the file reached its IEND chunk."""
    texts: dict[str, str] = {}
    offset = len(PNG_SIGNATURE)
    while offset + 8 <= len(data):
        length, chunk_type = struct.unpack(">I4s", data[offset : offset + 8])
        body = data[offset + 8 : offset + 8 + length]
        offset += 12 + length  # length, type, body, crc
        if len(body) < length:
            raise ImportProblem("the PNG file is truncated; export the card again")
        if chunk_type == b"tEXt" and b"\0" in body:
            key, value = body.split(b"\0", 1)
            texts[key.decode("latin-1")] = value.decode("latin-1")
        elif chunk_type == b"zTXt" and b"\0" in body:
            key, value = body.split(b"\0", 1)
            texts[key.decode("latin-1")] = zlib.decompress(value[1:]).decode("latin-1")
        elif chunk_type == b"iTXt" and b"\0" in body:
            key, rest = body.split(b"\0", 1)
            compressed, rest = rest[0], rest[2:]
            _language, _translated, value = rest.split(b"\0", 2)
            texts[key.decode("latin-1")] = (zlib.decompress(value) if compressed else value).decode("utf-8")
        elif chunk_type == b"IEND":
            return texts, True
    return texts, False


def card_from_png(data: bytes) -> dict[str, Any]:
    try:
        chunks, complete = _png_text_chunks(data)
    except (struct.error, zlib.error, ValueError, IndexError) as error:
        raise ImportProblem(f"the PNG file is damaged ({error}); export the card again") from None
    encoded = chunks.get(PNG_KEYWORD) or chunks.get("Chara")
    if encoded is None and not complete:
        raise ImportProblem("the PNG file is truncated (it has no end chunk); export the card again")
    if encoded is None:
        raise ImportProblem(
            "this PNG has no 'chara' text chunk, so it is a plain image, not a Character Card; "
            "export the character as a card (PNG or JSON) from its app and import that"
        )
    try:
        document = json.loads(base64.b64decode(encoded, validate=False).decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ImportProblem(
            f"the PNG's 'chara' chunk is not base64 card JSON ({error}); export the card again"
        ) from None
    if not isinstance(document, dict):
        raise ImportProblem("the PNG's 'chara' chunk does not hold a JSON object; export the card again")
    return document
