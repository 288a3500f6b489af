"""Prompting and shaping replies for small chat models.

A 135M-parameter model rambles, loops, breaks character and cannot write Chinese. What helps, in
order: a short system prompt with the persona, a hard sentence limit enforced on the stream (the reply
is cut after N sentences, not just asked to be short), stop sequences for chat-role markers, a
repetition guard, and cleaning phrases of markdown and emoji before they are spoken.

Language: the reply language is the persona's ("en" / "zh"), or the user's when the session language
is "auto" (detected from the transcript). When a Chinese reply is needed but the chat model is the
packaged English-only SmolLM2, the reply is in English and a warning is logged: speaking a canned
Chinese line would pretend to an understanding the model does not have. Configure a GGUF that writes
Chinese (e.g. a Qwen instruct model) or an OpenAI-compatible endpoint to get real Chinese replies.
Every phrase is spoken with the TTS language detected from its own text, so whatever the model
writes is pronounced correctly.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from model.embedded.reply.english_words import looks_english
from model.embedded.reply.llm import ChatMessage, GenerationOptions
from model.embedded.reply.persona_prompt import (
    DEFAULT_INSTRUCTIONS,
    few_shot_messages,
    system_prompt,
    with_chinese_hint,
)
from model.embedded.speak.phrases import detect_language
from model.events import SessionConfig

logger = logging.getLogger(__name__)

DEFAULT_MAX_SENTENCES = 3
MIN_SPEED, MAX_SPEED = 0.5, 2.0
TOKENS_PER_SENTENCE = 40
# Chat-template role markers (ChatML as SmolLM2 / Qwen use it) and plain-text role prefixes a small
# model invents when it starts writing the user's next turn itself.
STOP_SEQUENCES = ("<|im_end|>", "<|im_start|>", "<|endoftext|>", "\nUser:", "\nuser:", "\nHuman:", "\nYou:")

_SENTENCE_END = re.compile(r"[.!?。！？…]['\")\]」』”’]*\s*$")
_ROLE_PREFIX = re.compile(r"^\s*(assistant|ai|bot|system)\s*:\s*", re.IGNORECASE)
_MARKUP = re.compile(r"[*_#`~|<>\[\]{}]+")
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\u200d]+")
_LIST_MARK = re.compile(r"^\s*(?:[-•]|\d+[.)])\s+")
_SPEAKABLE = re.compile(r"[A-Za-z0-9\u4e00-\u9fff]")
# CJK scripts and full-width forms. An English-only model writes them only as noise copied from a Chinese
# prompt ("英文：" / "語法：" labels before its English answer), which an English voice reads as garble.
_CJK_NOISE = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]+")
_SAME_WORD_RUN = re.compile(r"\b(\w+)(?:\W+\1\b){3,}", re.IGNORECASE)
# The framing `adapt_prompt` puts around a Chinese turn, echoed back by a tiny model: "(The user said this
# in Chinese:" was the whole spoken reply to 2 of 4 Chinese questions in one bench run.
# The stock refusal of an instruction-tuned model, said whole and about nothing: Qwen2.5-Coder 0.5B answered
# "My wifi keeps dropping!" with "I'm sorry, but I can't assist with that." in 2 of 4 check runs. Only the bare
# sentence is caught; a persona declining something in its own words ("I can't help with that while you
# drive") is left alone.
_STOCK_REFUSAL = re.compile(
    r"^(?:i'?m sorry,?\s*(?:but\s*)?)?i (?:can(?:'|no)t|cannot|am unable to|am not able to) "
    r"(?:assist|help) (?:you )?with (?:that|this)(?: request)?[.!]?$",
    re.IGNORECASE,
)
_FRAMING_ECHO = re.compile(r"\bthe user (?:said|says|wrote|asked|spoke)\b|\breply in simple english\b", re.IGNORECASE)


@dataclass(frozen=True)
class ReplyPlan:
    """Everything one response needs, fixed when it starts (a later session.update affects the next one)."""

    system_prompt: str
    language: str  # "en" | "zh": the language asked of the chat model
    options: GenerationOptions
    max_sentences: int
    voice: str
    speed: float
    english_only: bool = False  # the chat model writes no Chinese: drop CJK phrases it produces anyway
    user_spoke_chinese: bool = False
    earlier_phrases: frozenset[str] = frozenset()  # phrase keys of earlier replies: small models copy them
    few_shot: tuple[ChatMessage, ...] = ()  # the persona's example lines as turns, after the system prompt
    chinese_hint: bool = False  # remind the model, in the user turn, to answer this one in Chinese


def reply_language(config: SessionConfig, user_text: str | None, user_language: str | None) -> str:
    """The language the reply should be in: the persona's, or the user's when the session says "auto"."""
    if config.language in ("en", "zh"):
        return config.language
    if user_language in ("en", "zh"):
        return user_language
    if user_text:
        return detect_language(user_text)
    return "en"


def phrase_key(text: str) -> str:
    """A phrase reduced to lower-case words, for spotting repeats whatever the punctuation."""
    return re.sub(r"\W+", " ", text.lower()).strip()


def phrase_keys(replies: list[str]) -> frozenset[str]:
    """Keys of every sentence of earlier replies."""
    return frozenset(
        key
        for reply in replies
        for sentence in re.split(r"(?<=[.!?。！？])\s*", reply)
        if (key := phrase_key(sentence))
    )


def plan_reply(
    config: SessionConfig,
    *,
    user_text: str | None,
    user_language: str | None,
    llm_writes_chinese: bool,
    default_voice: str,
    earlier_replies: list[str] | None = None,
) -> ReplyPlan:
    language = reply_language(config, user_text, user_language)
    max_sentences = config.max_sentences or DEFAULT_MAX_SENTENCES
    if llm_writes_chinese:
        return _bilingual_plan(config, language, max_sentences, default_voice, earlier_replies, user_text)
    lines = [(config.instructions or DEFAULT_INSTRUCTIONS).strip()]
    if language == "zh" and not llm_writes_chinese:
        logger.warning(
            "A Chinese reply was asked for, but the packaged chat model (SmolLM2-135M) cannot write Chinese: "
            "replying in English. Set a Chinese-capable GGUF or an OpenAI-compatible endpoint for Chinese replies."
        )
        # One system prompt line for every English reply, this one included: the system prompt starts the
        # prompt llama.cpp evaluated ahead of time (`warm_next` plans without the user's words), and a
        # different line here made it evaluate the history again (measured, 2 turns of history: 139 prompt
        # tokens instead of 42, first token 803 ms instead of 262). The Chinese turn itself is framed in
        # English (`adapt_prompt`), which is what keeps SmolLM2 in English.
        language = "en"
    lines.append("Answer in Mandarin Chinese (简体中文)." if language == "zh" else "Answer in English.")
    lines.append(f"Say at most {max_sentences} short sentence{'s' if max_sentences > 1 else ''}.")
    return ReplyPlan(
        system_prompt="\n".join(lines),
        language=language,
        options=_options(config, max_sentences, temperature=0.6, repeat_penalty=1.2),  # <1.15: SmolLM2 loops
        max_sentences=max_sentences,
        english_only=True,
        earlier_phrases=phrase_keys(earlier_replies or []),
        user_spoke_chinese=user_language == "zh" or bool(user_text and detect_language(user_text) == "zh"),
        voice=config.voice or default_voice,
        speed=_speed(config),
    )


def _bilingual_plan(
    config: SessionConfig,
    language: str,
    max_sentences: int,
    default_voice: str,
    earlier_replies: list[str] | None,
    user_text: str | None,
) -> ReplyPlan:
    """A brain that writes both languages: one system prompt for the session, the language said there."""
    session_language = config.language if config.language in ("en", "zh") else "auto"
    return ReplyPlan(
        system_prompt=system_prompt(config, max_sentences=max_sentences, session_language=session_language),
        language=language,
        # 1.1, not SmolLM2's 1.2: Qwen does not loop at 1.1, and a stronger penalty garbles Chinese, whose
        # replies repeat characters (的, 你) by nature.
        options=_options(config, max_sentences, temperature=0.3, repeat_penalty=1.1),
        max_sentences=max_sentences,
        earlier_phrases=phrase_keys(earlier_replies or []),
        user_spoke_chinese=bool(user_text and detect_language(user_text) == "zh"),
        voice=config.voice or default_voice,
        speed=_speed(config),
        few_shot=tuple(few_shot_messages(config)),
        chinese_hint=language == "zh" and session_language == "auto",
    )


def _options(
    config: SessionConfig, max_sentences: int, *, temperature: float, repeat_penalty: float
) -> GenerationOptions:
    token_cap = TOKENS_PER_SENTENCE * max_sentences + 16
    if isinstance(config.max_response_output_tokens, int):
        token_cap = min(token_cap, config.max_response_output_tokens)
    return GenerationOptions(
        max_tokens=max(8, token_cap),
        temperature=config.temperature if config.temperature is not None else temperature,
        top_p=0.9,
        repeat_penalty=repeat_penalty,
        stop=STOP_SEQUENCES,
    )


def _speed(config: SessionConfig) -> float:
    return min(MAX_SPEED, max(MIN_SPEED, config.speed or 1.0))  # Kokoro's usable range


def clean_phrase(text: str) -> str:
    """What is worth speaking in one phrase: no markdown, emoji, list bullets or role prefixes."""
    cleaned = _ROLE_PREFIX.sub("", text)
    cleaned = _LIST_MARK.sub("", cleaned)
    cleaned = _EMOJI.sub("", _MARKUP.sub(" ", cleaned))
    cleaned = re.sub(r"\s+", " ", cleaned).strip()
    return cleaned if _SPEAKABLE.search(cleaned) else ""


# Said (in English, honestly) when an English-only chat model produced nothing usable for a Chinese turn.
ENGLISH_ONLY_APOLOGY = "Sorry, I can only answer in English."


def adapt_prompt(messages: list[ChatMessage], plan: ReplyPlan) -> list[ChatMessage]:
    """For an English-only model, frame a Chinese last user turn so the model answers it in English; for
    a bilingual one in an "auto" session, add the hint to answer a Chinese turn in Chinese.

    Shown raw Chinese, SmolLM2 imitates the script and writes meaningless Chinese characters; told
    what happened in English, it answers in English.
    """
    if plan.chinese_hint:
        return with_chinese_hint(messages)
    if not plan.english_only or not messages or messages[-1].role != "user":
        return messages
    last = messages[-1]
    if detect_language(last.content) != "zh":
        return messages
    framed = f'(The user said this in Chinese: "{last.content}") Reply in simple English.'
    return [*messages[:-1], ChatMessage(role="user", content=framed)]


ENGLISH_REMINDER = "Important: write your answer in English only."


def english_retry_prompt(messages: Sequence[ChatMessage]) -> list[ChatMessage]:
    """The same prompt with a plain reminder of the language added to the system message."""
    messages = list(messages)
    if messages and messages[0].role == "system":
        return [ChatMessage("system", f"{messages[0].content}\n{ENGLISH_REMINDER}"), *messages[1:]]
    return [ChatMessage("system", ENGLISH_REMINDER), *messages]


def english_retry_options(options: GenerationOptions) -> GenerationOptions:
    """Less randomness for the second try: the likeliest tokens of an English-trained model are English."""
    return dataclasses.replace(options, temperature=min(options.temperature, 0.3))


class ReplyShaper:
    """Filters the phrases of one reply: cleans them, stops after N sentences or at the first loop."""

    def __init__(
        self,
        max_sentences: int,
        english_only: bool = False,
        earlier_phrases: frozenset[str] = frozenset(),
        expect_english: bool = False,
    ) -> None:
        self._max_sentences = max_sentences
        self._english_only = english_only
        self._expect_english = expect_english
        self.dropped_foreign = 0  # phrases dropped for being in another language than the one asked for
        self._in_dropped_sentence = False  # the rest of a sentence whose start was dropped goes too
        self._earlier = earlier_phrases
        self._sentences = 0
        self._seen: set[str] = set()
        self.finished = False  # True once the reply must stop (limit reached or a loop seen)

    def last_try(self) -> None:
        """For the second and last pass: better a reply the lexicon doubts (names, loanwords) or one that
        repeats an earlier line than silence."""
        self._expect_english = False
        self._in_dropped_sentence = False
        self._earlier = frozenset()
        self.finished = False

    def accept(self, phrase: str) -> list[str]:
        """The phrase to speak, or none. Sets `finished` when nothing more should follow."""
        text = self._check(phrase)
        return [] if text is None else [text]

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
        if _STOCK_REFUSAL.match(text):
            logger.info("dropped a stock refusal: %r", text)
            return None
        if self._english_only and _FRAMING_ECHO.search(text):  # the framing is only used for such models
            # Our own instructions to the model, not the persona's words; the rest of the sentence (the
            # quoted question, the closing bracket) goes with them.
            logger.info("dropped a phrase that echoes the prompt's framing: %r", text[:60])
            self._in_dropped_sentence = not _SENTENCE_END.search(text)
            return None
        if self._in_dropped_sentence:  # a reply must not start mid-sentence
            logger.info("dropped the rest of a dropped sentence: %r", text[:60])
            self._in_dropped_sentence = not _SENTENCE_END.search(text)
            return None
        if self._expect_english and detect_language(text) == "en" and not looks_english(text):
            # Spoken, it would also enter the history, and the next replies would follow its language.
            # The rest of its sentence goes with it.
            logger.info("dropped a phrase that is not English in an English reply: %r", text[:60])
            self.dropped_foreign += 1
            self._in_dropped_sentence = not _SENTENCE_END.search(text)
            return None
        key = phrase_key(text)
        if key in self._earlier and len(key) > 12:
            logger.info("dropped a phrase copied from an earlier reply: %r", text[:60])
            return None
        if key in self._seen or _SAME_WORD_RUN.search(text):
            logger.info("reply cut: the model started repeating itself (%r)", text[:60])
            self.finished = True
            return None
        self._seen.add(key)
        if _SENTENCE_END.search(text):
            self._sentences += 1
            if self._sentences >= self._max_sentences:
                self.finished = True
        return text


_LAST_BREAK = re.compile(r".*(?:[.!?…,;:]['\")\]」』”’]*(?=\s|$)|[。！？，；：、][」』”’）]*)", re.DOTALL)


def ends_sentence(text: str) -> bool:
    """Whether `text` ends with sentence punctuation (closing quotes and brackets after it allowed)."""
    return bool(_SENTENCE_END.search(text))


def finished_part(text: str) -> str:
    """A phrase up to its last sentence or clause punctuation ("" if none): what may be spoken of a reply
    that the token limit cut off mid-sentence, so it does not trail off mid-word."""
    if _SENTENCE_END.search(text):
        return text
    match = _LAST_BREAK.match(text)
    return match.group().strip() if match else ""


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
