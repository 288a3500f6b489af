"""Do the words heard so far stop mid-sentence? A text check beside the end-of-turn model.

Smart Turn hears intonation, not words, and a speaker who hesitates after "a", "the", "to" or "my" often
sounds finished to it: on the bench's hesitation set (TTS questions with a pause inserted after such a
word) it was confident the turn was over at 3 of 12 pauses. The early transcript of the pause says
plainly that "Tell me a story about a" goes on. So a turn may end early only when the end-of-turn model
is confident AND the transcript does not end on a word that needs another after it (`turn_taking`).

It errs on the side of waiting: a finished sentence that happens to end on one of these words ("I know
what it is.") is not cut short, it waits for the configured silence instead.
"""

from __future__ import annotations

import re

# Words after which an English sentence does not end: articles, possessives, conjunctions, fillers, and
# "to" (a hesitation after "how to" / "want to" is far more common than a question ending "talking to?",
# which then waits for the silence: Whisper writes "How long does it take to?" for a hesitant question).
_NEVER_LAST_ENGLISH = frozenset(
    """a an the my your our their its and but or nor because if that which whose whether though although
    unless than to um uh er erm uhm""".split()
)
# Words that end a question ("Where are you from?", "What is it about?") but rarely a statement: they
# count as unfinished unless the transcript ends in a question mark.
_RARELY_LAST_ENGLISH = frozenset(
    "for of with about at in on from into onto by like as when while where after before since until "
    "is are was were am".split()
)
# Chinese endings that need more after them: prepositions, conjunctions, fillers (not 的/是/对: "好的",
# "是" and "对" are whole answers).
_DANGLING_CHINESE = (
    *"和跟与或把被从向往嗯呃",
    *"那个 这个 就是 但是 因为 所以 如果 然后 还有 而且 一个 我想".split(),
)
# A transcript that trails off or stops at a clause break ("...", a comma, a dash) is not a finished turn.
_TRAILING_BREAK = re.compile(r"(?:\.\.\.|…|[,，、;；:：\-–—])\s*$")
_LAST_LATIN_WORD = re.compile(r"([A-Za-z]+(?:'[A-Za-z]+)?)\W*$")
_CJK_TAIL = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff]+)[^\u3400-\u4dbf\u4e00-\u9fffA-Za-z0-9]*$")


def sounds_unfinished(text: str) -> bool:
    """True when `text` (a transcript of the turn so far) plainly stops mid-sentence; False when it may
    be a whole turn, or when nothing was heard (no evidence either way)."""
    stripped = text.strip()
    if not stripped:
        return False
    if _TRAILING_BREAK.search(stripped):
        return True
    chinese = _CJK_TAIL.search(stripped)
    if chinese is not None:
        return chinese.group(1).endswith(_DANGLING_CHINESE)
    english = _LAST_LATIN_WORD.search(stripped)
    if english is None:
        return False
    last = english.group(1).lower()
    return last in _NEVER_LAST_ENGLISH or (last in _RARELY_LAST_ENGLISH and not stripped.endswith("?"))
