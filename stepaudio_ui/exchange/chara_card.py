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
from collections.abc import Iterator
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from model.text_language import languages_of
from stepaudio_ui.exchange import png_text, untrusted_json
from stepaudio_ui.studio.core import ImportProblem, validation_problem
from stepaudio_ui.studio.specs import ExampleExchange, PersonaSpec

CARD_SPEC = "chara_card_v2"
CARD_SPEC_VERSION = "2.0"
ACCEPTED_SPECS = ("chara_card_v2", "chara_card_v3")  # v3 keeps every v2 field we map
PNG_SIGNATURE = png_text.PNG_SIGNATURE
PNG_KEYWORD = "chara"
MAX_PNG_TEXT_BYTES = 4_000_000  # when no import limit is given
_SPEAKER = re.compile(r"^\s*(\{\{user\}\}|<user>|\{\{char\}\}|<bot>)\s*:\s?(.*)$", re.IGNORECASE)
# Caps on what a card may hold, far above what fits a persona (its longest field holds 6,000 characters),
# so every card another editor writes for a voice persona passes, and the work one card costs is bounded.
CARD_TEXT_LIMIT = 30_000
CARD_LIST_LIMIT = 200
CardText = Annotated[str, Field(max_length=CARD_TEXT_LIMIT)]
CardLabel = Annotated[str, Field(max_length=200)]


class CardData(BaseModel):
    """The `data` object of a V2 card; unknown fields (character_book, ...) are allowed and ignored."""

    model_config = ConfigDict(extra="allow")
    name: str = Field(min_length=1, max_length=200)
    description: CardText = ""
    personality: CardText = ""
    scenario: CardText = ""
    first_mes: CardText = ""
    mes_example: CardText = ""
    creator_notes: CardText = ""
    system_prompt: CardText = ""
    post_history_instructions: CardText = ""
    alternate_greetings: list[CardText] = Field(default_factory=list, max_length=CARD_LIST_LIMIT)
    tags: list[CardLabel] = Field(default_factory=list, max_length=CARD_LIST_LIMIT)
    creator: CardLabel = ""
    character_version: CardLabel = ""
    extensions: dict[str, Any] = Field(default_factory=dict)


# --------------------------------------------------------------------------- examples text


def format_examples(examples: list[ExampleExchange] | tuple[ExampleExchange, ...]) -> str:
    return "\n".join(f"<START>\n{{{{user}}}}: {ex.user}\n{{{{char}}}}: {ex.assistant}" for ex in examples)


def _example_blocks(text: str) -> Iterator[list[str]]:
    """The lines of each `<START>` block. Line by line on purpose: a MULTILINE regex split on `^\\s*<start>`
    backtracked across runs of newlines (quadratic: 200,000 newlines took 43 s)."""
    block: list[str] = []
    for line in text.splitlines():
        if line.strip().lower() == "<start>":
            yield block
            block = []
        else:
            block.append(line)
    yield block


def parse_examples(text: str, char_name: str) -> list[dict[str, str]]:
    """'<START>\\n{{user}}: hi\\n{{char}}: hello' -> [{'user': 'hi', 'assistant': 'hello'}].

    A line without a speaker continues the previous message; a user message without a reply is dropped.
    Linear in the text's length: each message's lines are collected and joined once.
    """
    examples: list[dict[str, str]] = []
    for block in _example_blocks(text):
        messages: list[tuple[str, list[str]]] = []
        for line in block:
            match = _SPEAKER.match(line)
            if match:
                role = "user" if match.group(1).lower() in ("{{user}}", "<user>") else "assistant"
                messages.append((role, [match.group(2)]))
            elif messages:
                messages[-1][1].append(line)
        said = [(role, "\n".join(lines)) for role, lines in messages]
        for (role, text_said), (next_role, reply) in zip(said, said[1:], strict=False):
            if role == "user" and next_role == "assistant":
                user, assistant = _expand(text_said, char_name).strip(), _expand(reply, char_name).strip()
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
        raise ImportProblem(
            f"the Character Card is not valid: {validation_problem(error, 'data')} (a card's text fields hold at "
            f"most {CARD_TEXT_LIMIT:,} characters each, its lists {CARD_LIST_LIMIT} items); shorten the card "
            "in its editor and import again"
        ) from None


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


def png_text_limit(max_import_bytes: int) -> int:
    """How far a PNG's card chunk may unpack: the base64 of a card JSON as large as an import file may be."""
    return max_import_bytes * 4 // 3 + 4


def card_from_png(data: bytes, *, max_text_bytes: int = MAX_PNG_TEXT_BYTES) -> dict[str, Any]:
    """The card JSON of a PNG's `chara` chunk, unpacked to at most `max_text_bytes` (other chunks unread)."""
    try:
        found = png_text.find_text(data, (PNG_KEYWORD, "Chara"), max_bytes=max_text_bytes)
    except (struct.error, zlib.error, ValueError, IndexError) as error:
        raise ImportProblem(f"the PNG file is damaged ({error}); export the card again") from None
    if found.text is None and not found.complete:
        raise ImportProblem("the PNG file is truncated (it has no end chunk); export the card again")
    if found.text is None:
        raise ImportProblem(
            "this PNG has no 'chara' text chunk, so it is a plain image, not a Character Card; "
            "export the character as a card (PNG or JSON) from its app and import that"
        )
    try:
        document = untrusted_json.loads(base64.b64decode(found.text, validate=False).decode("utf-8"), "the PNG's card")
    except (binascii.Error, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ImportProblem(
            f"the PNG's 'chara' chunk is not base64 card JSON ({error}); export the card again"
        ) from None
    if not isinstance(document, dict):
        raise ImportProblem("the PNG's 'chara' chunk does not hold a JSON object; export the card again")
    return document
