"""Is this phrase English? A word-list check for replies of small chat models.

SmolLM2-135M drifts into French, Spanish or Turkish (a question about France is enough), and once such
a reply is in the history every later reply follows it. Short phrases defeat statistical language
identifiers, but a lexicon does well: English sentences are almost all dictionary words, the drift
languages mostly are not. The lexicon is misaki's US English pronunciation dictionary (~180k words,
already installed for Kokoro's G2P), so nothing new is downloaded or packaged.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import logging
import re

logger = logging.getLogger(__name__)

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
MIN_WORDS = 3  # "Bonjour, ami!" is too short to judge safely; a name alone is not a language
MIN_KNOWN_SHARE = 0.6  # measured: English replies 0.9–1.0, the French/Spanish drift 0.1–0.5


@functools.cache
def english_lexicon() -> frozenset[str]:
    """Lower-case English words (misaki's us_gold + us_silver dictionaries)."""
    data = importlib.resources.files("misaki") / "data"
    words: set[str] = set()
    for name in ("us_gold.json", "us_silver.json"):
        words.update(key.lower() for key in json.loads((data / name).read_text(encoding="utf-8")))
    logger.debug("English lexicon: %d words", len(words))
    return frozenset(words)


def looks_english(text: str) -> bool:
    """False when `text` has enough words to judge and too few of them are English; True otherwise."""
    words = [word.lower() for word in _WORD.findall(text)]
    if len(words) < MIN_WORDS:
        return True
    lexicon = english_lexicon()
    known = sum(1 for word in words if word in lexicon or word.replace("'", "") in lexicon)
    return known / len(words) >= MIN_KNOWN_SHARE
