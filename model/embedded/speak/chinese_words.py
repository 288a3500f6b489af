"""Where the words of a Chinese text end, for cutting a long Chinese clause between words rather than inside one.

Chinese is written without spaces, so jieba (already here: Kokoro's Mandarin phonemiser segments with it)
finds the words. Its default tokenizer is shared process-wide and is not safe to call from two threads at
once, so every caller holds `JIEBA_LOCK` (the reply writer cutting phrases, Kokoro phonemising them).
"""

from __future__ import annotations

import logging
import threading

import jieba

from model.text_language import CJK_CHARACTER, LATIN_WORD

JIEBA_LOCK = threading.Lock()
jieba.setLogLevel(logging.WARNING)  # its dictionary build otherwise prints to stderr


def words_of(text: str) -> list[str]:
    """`text` cut into words (dictionary words only: the same cut every time); joined, they give it back."""
    with JIEBA_LOCK:
        return list(jieba.lcut(text, HMM=False))


# Not a place to end a phrase: after a word that binds to the next (你的|电源, 因为|天气; any word ending in
# 的, 地 or 得, those alone included), or before one that ends the last (好了, 对吗). Before a word that opens a
# clause is the best place (天气很好|而且).
_BINDS_FORWARD = frozenset("和 与 及 把 被 给 在 从 对 为 向 因为 而且 但是 所以 如果 然后 或者 比如 并且".split())
_BINDS_BACK = frozenset("的了吗呢吧啊呀着过们地得么")
_OPENS_CLAUSE = frozenset("因为 而且 但是 所以 如果 然后 或者 比如 并且 不过 还是 可以 请".split())


def chinese_word_cut(region: str, cut_from: int, window: int) -> int | None:
    """Where to cut a Chinese clause longer than `window` characters: a word end after `cut_from` characters,
    before a word that opens a clause if there is one, that leaves a whole word after it in the window. Chosen
    within the window alone, so the cut is the same whether the text comes whole or token by token. None:
    short enough, still growing, mixed with English (cut at its words instead), or no such word end."""
    if LATIN_WORD.search(region):
        return None
    characters = [match.end() for match in CJK_CHARACTER.finditer(region)]
    if len(characters) <= window:
        return None
    words = words_of(region[: characters[window - 1]])
    cuts: list[tuple[bool, int]] = []  # (not before a clause opener, offset)
    offset = count = 0
    for word, following in zip(words, words[1:], strict=False):  # never after the last: it may still be growing
        offset += len(word)
        count += len(CJK_CHARACTER.findall(word))
        if count < cut_from or word in _BINDS_FORWARD or word[-1] in "的地得" or following[0] in _BINDS_BACK:
            continue
        if CJK_CHARACTER.match(following):  # not just before punctuation: that is a clause end
            cuts.append((following not in _OPENS_CLAUSE, offset))
    return min(cuts)[1] if cuts else None
