"""Shaping one reply's phrases before they are spoken: cleaned of markdown and emoji, cut after N sentences
or at the first loop, and kept from repeating what the persona already said.

A small chat model copies its own earlier replies: in a 12-turn conversation Qwen2.5-Coder-0.5B said the
same repair advice in 9 of 12 replies to 小星's caller, and the tutor Lin answered "how do I say 'nice to meet
you'" with its earlier "You say xièxie, 谢谢". With the copy guard on, a phrase that repeats a stretch of an
earlier reply is caught (`copies`); as the reply's first phrase, it marks the reply `copied` so the writer asks
again with sampling that avoids repeats (`reply_writer`); later in a reply it is dropped with the rest of its
sentence.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from difflib import SequenceMatcher

from model.embedded.reply.english_words import looks_english
from model.embedded.reply.recital import RECITAL_CONTEXT_CHARS, Instructions
from model.embedded.speak.phrase_text import SENTENCE_END
from model.embedded.speak.phrases import detect_language

logger = logging.getLogger(__name__)

_ROLE_PREFIX = re.compile(r"^\s*(assistant|ai|bot|system)\s*:\s*", re.IGNORECASE)
_MARKUP = re.compile(r"[*_#`~|<>\[\]{}]+")
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\u200d]+")
# A list mark before an item, or a phrase that is only one ("1."): Lin's "Sure! Here are a few examples: 1."
# ended there, the "1." counted as her second and last sentence.
_LIST_MARK = re.compile(r"^\s*(?:(?:[-•]|\d+[.)])\s+|\d{1,2}[.)]\s*$)")
_SPEAKABLE = re.compile(r"[A-Za-z0-9\u4e00-\u9fff]")
# CJK scripts and full-width forms. An English-only model writes them only as noise copied from a Chinese
# prompt ("英文：" / "語法：" labels before its English answer), which an English voice reads as garble.
_CJK_NOISE = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]+")
_SAME_WORD_RUN = re.compile(r"\b(\w+)(?:\W+\1\b){3,}", re.IGNORECASE)
# The stock refusal of an instruction-tuned model, said whole and about nothing: Qwen2.5-Coder 0.5B answered
# "My wifi keeps dropping!" with "I'm sorry, but I can't assist with that." in 2 of 4 check runs. Only the bare
# sentence is caught; a persona declining something in its own words ("I can't help with that while you
# drive") is left alone.
_STOCK_REFUSAL = re.compile(
    r"^(?:i'?m sorry,?\s*(?:but\s*)?)?i (?:can(?:'|no)t|cannot|am unable to|am not able to) "
    r"(?:assist|help) (?:you )?with (?:that|this)(?: request)?[.!]?$",
    re.IGNORECASE,
)
# Its Chinese form: 小星's caller, told "我的手机充不进电。", heard "抱歉，我无法帮助您。" in 1 of 3 check runs, and
# "抱歉，我无法帮助您的。" in another.
_STOCK_REFUSAL_ZH = re.compile(
    r"^(?:(?:很|非常|真)?(?:抱歉|对不起)[，,]?\s*)?(?:但(?:是)?)?我(?:无法|不能|没办法)(?:帮助|帮|协助)(?:您|你)"
    r"(?:处理|解决)?(?:这个|此)?(?:问题|请求)?的?[。！!.]?$"
)
# The first phrase is cut at its first comma, so the refusal arrives as "I'm sorry," + "but I can't assist
# with that.": the apology is held until the next phrase shows whether a refusal follows it.
_APOLOGY_OPENER = re.compile(
    r"^(?:(?:i'?m |i am )?(?:so |very )?sorry|(?:很|非常|真)?(?:抱歉|对不起)),?，?$", re.IGNORECASE
)


def is_stock_refusal(text: str) -> bool:
    return bool(_STOCK_REFUSAL.match(text) or _STOCK_REFUSAL_ZH.match(text))


# The framing `adapt_prompt` puts around a Chinese turn, echoed back by a tiny model: "(The user said this
# in Chinese:" was the whole spoken reply to 2 of 4 Chinese questions in one bench run.
_FRAMING_ECHO = re.compile(r"\bthe user (?:said|says|wrote|asked|spoke)\b|\breply in simple english\b", re.IGNORECASE)
_LATIN_WORD = re.compile(r"[a-z0-9']+")
_CJK = re.compile(r"[\u3400-\u9fff]")
# A copied stretch this long or longer counts (Latin words, or CJK characters at two per word): "Sure," or
# "好的，" said again is no copy, "You say xièxie," or "如果问题仍然存在，" is.
COPY_MIN_WORDS = 3.0


def clean_phrase(text: str) -> str:
    """What is worth speaking in one phrase: no markdown, emoji, list bullets or role prefixes."""
    cleaned = _ROLE_PREFIX.sub("", text)
    cleaned = _LIST_MARK.sub("", cleaned)
    cleaned = _EMOJI.sub("", _MARKUP.sub(" ", cleaned))
    cleaned = re.sub(r"\s+", " ", cleaned).strip()
    return cleaned if _SPEAKABLE.search(cleaned) else ""


def phrase_key(text: str) -> str:
    """A phrase reduced to lower-case words, for spotting repeats whatever the punctuation."""
    return re.sub(r"\W+", " ", text.lower()).strip()


def phrase_keys(replies: Iterable[str]) -> frozenset[str]:
    """Keys of every sentence of earlier replies."""
    return frozenset(
        key
        for reply in replies
        for sentence in re.split(r"(?<=[.!?。！？])\s*", reply)
        if (key := phrase_key(sentence))
    )


def copy_size(key: str) -> float:
    """How much a phrase key says, in words (a CJK character counts half a word)."""
    return len(_LATIN_WORD.findall(key)) + len(_CJK.findall(key)) / 2


class EarlierText:
    """The earlier replies' sentence keys, searchable for a phrase that repeats a stretch of one of them."""

    def __init__(self, keys: Iterable[str]) -> None:
        self.keys = frozenset(keys)
        self._text = " " + " | ".join(sorted(_plain(key) for key in self.keys)) + " "
        self._sentences = [_plain(key).split() for key in self.keys]

    def copies(self, key: str) -> bool:
        """`key` (a phrase key) is long enough to count and said again in an earlier sentence: word for word,
        or with one word misspelt ("You say xíèxí" after "You say xièxie": a small model's copy drifts)."""
        if copy_size(key) < COPY_MIN_WORDS:
            return False
        plain = _plain(key)
        if not _LATIN_WORD.search(plain):
            return plain in self._text  # Chinese has no spaces between words: any stretch counts
        if f" {plain} " in self._text:  # whole words only
            return True
        words = plain.split()
        return any(
            _nearly_same(words, sentence[at : at + len(words)])
            for sentence in self._sentences
            for at in range(len(sentence) - len(words) + 1)
        )


def _plain(key: str) -> str:
    """A phrase key without accents and tone marks, so "xièxie" and "xiexie" read alike."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", key) if not unicodedata.combining(ch))


def _nearly_same(words: list[str], other: list[str]) -> bool:
    """The same words but at most one, and that one a near spelling of its counterpart (5+ letters)."""
    if len(words) != len(other):
        return False
    differing = [(a, b) for a, b in zip(words, other, strict=True) if a != b]
    if len(differing) != 1:
        return False
    a, b = differing[0]
    return min(len(a), len(b)) >= 5 and SequenceMatcher(None, a, b).ratio() >= 0.85


class ReplyShaper:
    """Filters the phrases of one reply: cleans them, stops after N sentences or at the first loop."""

    def __init__(
        self,
        max_sentences: int,
        english_only: bool = False,
        earlier_phrases: Iterable[str] = frozenset(),
        expect_english: bool = False,
        copy_guard: bool = False,
        instructions: str = "",
    ) -> None:
        self._max_sentences = max_sentences
        self._english_only = english_only
        self._expect_english = expect_english
        self.dropped_foreign = 0  # phrases dropped for being in another language than the one asked for
        self._in_dropped_sentence = False  # the rest of a sentence whose start was dropped goes too
        self._earlier = EarlierText(earlier_phrases)
        self._copy_guard = copy_guard
        self._instructions = Instructions(instructions)  # the system prompt: never read out (recital.py)
        self._said = ""  # the end of what this reply has spoken: a recital may start before the phrase at hand
        self._reask_on_copy = copy_guard  # a copy as the first phrase ends this pass (`copied`)
        self._sentences = 0
        self._seen: set[str] = set()
        self._accepted = 0
        self._mid_sentence = False  # the last phrase spoken did not end its sentence
        self._held: str | None = None  # an apology opener waiting for the phrase after it
        self._drop_refusals = True  # a bare stock refusal is not spoken (but on the last try, see `last_try`)
        self.finished = False  # True once the reply must stop (limit reached, a loop seen, or `copied`)
        # The phrase key of a first phrase that copied an earlier reply (which reply it came from): this pass is
        # over, ask again.
        self.copied_key: str | None = None

    @property
    def copied(self) -> bool:
        return self.copied_key is not None

    def avoid_copies_again(self) -> None:
        """For a second pass after `copied`: a copy is now dropped rather than ending the pass."""
        self._reask_on_copy = False
        self.copied_key = None
        self.finished = False

    def last_try(self) -> None:
        """For the last pass, after one that left nothing to speak: better a reply the lexicon doubts (names,
        loanwords), one that repeats an earlier line, or a stock refusal than silence. What the dropped pass
        said is forgotten: its "I'm sorry," said again is no loop (a session went silent on exactly that)."""
        self._expect_english = False
        self._in_dropped_sentence = False
        self._earlier = EarlierText(())
        self._instructions = Instructions("")
        self._drop_refusals = False
        self._seen.clear()
        self._accepted = self._sentences = 0
        self._mid_sentence = False
        self._held = None
        self.copied_key = None
        self.finished = False

    def accept(self, phrase: str) -> list[str]:
        """The phrases to speak now (none, this one, or a held one with it). Sets `finished` when nothing
        more should follow."""
        held, self._held = self._held, None
        if held is not None and self._drop_refusals and is_stock_refusal(f"{held} {clean_phrase(phrase)}"):
            logger.info("dropped a stock refusal: %r", f"{held} {phrase}")
            self.finished = True  # what follows an opening refusal is no answer either: ask again
            return []
        text = self._check(phrase)
        if held is not None:
            return [held] if text is None else [held, text]
        return [] if text is None else [text]

    def release(self) -> list[str]:
        """At the end of the reply: a held phrase nothing followed is spoken after all."""
        held, self._held = self._held, None
        return [] if held is None or self.finished else [held]

    def _check(self, phrase: str) -> str | None:
        if self.finished:
            return None
        text = clean_phrase(phrase)
        if not text:
            return None
        if self._english_only and detect_language(text) == "zh":
            logger.info("dropped a Chinese phrase from an English-only chat model: %r", text[:40])
            return None
        if self._english_only and _CJK_NOISE.search(text):
            text = re.sub(r"\s+", " ", _CJK_NOISE.sub(" ", text)).strip()
            if not _SPEAKABLE.search(text):
                return None
        if self._drop_refusals and is_stock_refusal(text):
            logger.info("dropped a stock refusal: %r", text)
            # What follows an opening refusal ("如果您有其他问题，请随时告诉我。") is no answer either: the pass
            # ends, and with nothing spoken the writer asks again.
            self.finished = self.finished or not self._accepted
            return None
        if self._english_only and _FRAMING_ECHO.search(text):  # the framing is only used for such models
            # Our own instructions to the model, not the persona's words; the rest of the sentence (the
            # quoted question, the closing bracket) goes with them.
            logger.info("dropped a phrase that echoes the prompt's framing: %r", text[:60])
            self._in_dropped_sentence = not SENTENCE_END.search(text)
            return None
        if self._in_dropped_sentence:  # a reply must not start mid-sentence
            logger.info("dropped the rest of a dropped sentence: %r", text[:60])
            self._in_dropped_sentence = not SENTENCE_END.search(text)
            return None
        if self._expect_english and detect_language(text) == "en" and not looks_english(text):
            # Spoken, it would also enter the history, and the next replies would follow its language.
            # The rest of its sentence goes with it.
            logger.info("dropped a phrase that is not English in an English reply: %r", text[:60])
            self.dropped_foreign += 1
            self._in_dropped_sentence = not SENTENCE_END.search(text)
            return None
        if self._instructions.recited_in(f"{self._said} {text}"):
            logger.info("reply cut: it recites the system prompt (%r)", text[:60])
            self.finished = True  # what follows goes on reciting; with nothing said yet, the writer asks again
            return None
        key = phrase_key(text)
        # A copy that ends a sentence already begun is spoken: cut there, Luna's "Do you want Ember to look for
        # a pillow" lost its "or a friend?" (words of her last reply) and ended mid-question.
        finishes_sentence = self._mid_sentence and SENTENCE_END.search(text) is not None
        if self._is_copy(key) and not finishes_sentence:
            if self._reask_on_copy and not self._accepted:
                logger.info("the reply opens with a copy of an earlier one: %r", text[:60])
                self.finished = True
                self.copied_key = key
                return None
            logger.info("dropped a phrase copied from an earlier reply: %r", text[:60])
            self._in_dropped_sentence = self._copy_guard and not SENTENCE_END.search(text)
            return None
        if key in self._seen or _SAME_WORD_RUN.search(text):
            logger.info("reply cut: the model started repeating itself (%r)", text[:60])
            self.finished = True
            return None
        self._seen.add(key)
        if not self._accepted and _APOLOGY_OPENER.match(text):
            self._held = text
            self._accepted += 1
            return None
        self._accepted += 1
        self._said = f"{self._said} {text}"[-RECITAL_CONTEXT_CHARS:]
        self._mid_sentence = not SENTENCE_END.search(text)
        if SENTENCE_END.search(text):
            self._sentences += 1
            if self._sentences >= self._max_sentences:
                self.finished = True
        return text

    def _is_copy(self, key: str) -> bool:
        if self._copy_guard:
            return self._earlier.copies(key)
        return key in self._earlier.keys and len(key) > 12  # without the guard: whole sentences only
