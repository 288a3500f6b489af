"""Phrases as text: does one end a sentence, and how phrases join back into one transcript.

Shared by the writer (which cuts a reply into phrases), the shaper (which drops a copied sentence to its
end) and the speaker (which sends each phrase's words as the transcript of what is heard).
"""

from __future__ import annotations

import re

SENTENCE_END = re.compile(r"[.!?。！？…]['\")\]」』”’]*\s*$")


def ends_sentence(text: str) -> bool:
    """Whether `text` ends with sentence punctuation (closing quotes and brackets after it allowed)."""
    return bool(SENTENCE_END.search(text))


def join_phrases(phrases: list[str]) -> str:
    """Phrases back into one transcript: spaces between English phrases, none between Chinese ones."""
    text = ""
    for phrase in phrases:
        text += phrase_separator(text, phrase) + phrase
    return text


def phrase_separator(before: str, phrase: str) -> str:
    """What goes between the transcript so far and the next phrase: a phrase may be cut mid-sentence
    ("help you" / "with your order"), so a space is needed even where no punctuation came before."""
    if not before or not phrase or (_is_cjk(before[-1]) and _is_cjk(phrase[0])):
        return ""
    return " "


def _is_cjk(char: str) -> bool:
    return "\u3000" <= char <= "\u9fff" or "\uff00" <= char <= "\uffef"
