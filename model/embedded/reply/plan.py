"""Planning replies for small chat models: language, length, sampling, and the prompt's last touches.

A 135M-parameter model rambles, loops, breaks character and cannot write Chinese. What helps, in
order: a short system prompt with the persona, a hard sentence limit enforced on the stream (the reply
is cut after N sentences, not just asked to be short), stop sequences for chat-role markers, a
repetition guard, and cleaning phrases of markdown and emoji before they are spoken (those last two:
reply_shaper.py).

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

from model.embedded.reply.llm import ChatMessage, GenerationOptions
from model.embedded.reply.persona_prompt import (
    DEFAULT_INSTRUCTIONS,
    few_shot_messages,
    system_prompt,
    with_chinese_hint,
)
from model.embedded.reply.shape import EarlierText, phrase_keys
from model.embedded.speak.phrase_text import SENTENCE_END
from model.embedded.speak.phrases import detect_language
from model.events import SessionConfig

logger = logging.getLogger(__name__)

DEFAULT_MAX_SENTENCES = 3
MIN_SPEED, MAX_SPEED = 0.5, 2.0
TOKENS_PER_SENTENCE = 40
# Chat-template role markers (ChatML as SmolLM2 / Qwen use it) and plain-text role prefixes a small
# model invents when it starts writing the user's next turn itself.
STOP_SEQUENCES = ("<|im_end|>", "<|im_start|>", "<|endoftext|>", "\nUser:", "\nuser:", "\nHuman:", "\nYou:")
# DRY ("don't repeat yourself") sampling for a reply asked again because it copied an earlier one: it
# penalises continuing any stretch of tokens already in the prompt. Not for every reply: on all 24 replies of
# two 12-turn conversations it put English words inside 3 Chinese ones ("进一步 diagnose和解决").
AVOID_REPEATS_DRY = 1.0


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
    chinese_hint: bool = False  # remind the model, just before the user turn, to answer this one in Chinese
    copy_guard: bool = False  # a reply that opens with a copy of an earlier one is asked again (reply_shaper)


def reply_language(config: SessionConfig, user_text: str | None, user_language: str | None) -> str:
    """The language the reply should be in: the persona's, or the user's when the session says "auto"."""
    if config.language in ("en", "zh"):
        return config.language
    if user_language in ("en", "zh"):
        return user_language
    if user_text:
        return detect_language(user_text)
    return "en"


def plan_reply(
    config: SessionConfig,
    *,
    user_text: str | None,
    user_language: str | None,
    llm_writes_chinese: bool,
    default_voice: str,
    earlier_replies: list[str] | None = None,
    copy_guard: bool = True,
) -> ReplyPlan:
    language = reply_language(config, user_text, user_language)
    max_sentences = config.max_sentences or DEFAULT_MAX_SENTENCES
    if llm_writes_chinese:
        plan = _bilingual_plan(config, language, max_sentences, default_voice, earlier_replies, user_text)
        return dataclasses.replace(plan, copy_guard=copy_guard)
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
        # A Chinese reply is held to a Chinese first character: the system prompt's language line alone left a
        # Chinese question about English answered in English (CHINESE_OPENING_GRAMMAR).
        options=dataclasses.replace(
            _options(config, max_sentences, temperature=0.3, repeat_penalty=1.1), opens_in_chinese=language == "zh"
        ),
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


# Said (in English, honestly) when an English-only chat model produced nothing usable for a Chinese turn.
ENGLISH_ONLY_APOLOGY = "Sorry, I can only answer in English."


def adapt_prompt(messages: list[ChatMessage], plan: ReplyPlan) -> list[ChatMessage]:
    """For an English-only model, frame a Chinese last user turn so the model answers it in English; for
    a bilingual one in an "auto" session, add the hint to answer a Chinese turn in Chinese (before it).

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


def avoid_repeats_options(options: GenerationOptions) -> GenerationOptions:
    """Sampling for a reply asked again because it opened with a copy of an earlier reply."""
    return dataclasses.replace(options, dry_multiplier=AVOID_REPEATS_DRY)


def without_copied_replies(messages: Sequence[ChatMessage], plan: ReplyPlan, copied_key: str) -> list[ChatMessage]:
    """The prompt less the earlier replies a first pass copied (`copied_key`), for asking again.

    A model that copied a reply once copies it again while it can see it: Lin, asked in Chinese how to say
    "nice to meet you", opened with her reply about "thank you", and asked again under DRY sampling with that
    reply in the prompt she said it once more (0 of 6 replays of her check script named "meet you"; 8 of 10 do
    with it left out). The system prompt and the persona's example turns stay."""
    fixed = 1 + len(plan.few_shot) if messages and messages[0].role == "system" else 0
    kept = list(messages[:fixed])
    for message in messages[fixed:]:
        if message.role == "assistant" and EarlierText(phrase_keys([message.content])).copies(copied_key):
            continue
        kept.append(message)
    return kept


def retry_plan(plan: ReplyPlan, messages: Sequence[ChatMessage]) -> tuple[list[ChatMessage], GenerationOptions]:
    """The prompt and sampling for the last try after a pass that left nothing to speak.

    An English-only model is reminded of the language and made less random. A bilingual one (it had
    refused, or copied) gets the same prompt, more randomness and no repeats: the English reminder would
    turn a Chinese conversation into English. A greedy plan (a check run's, temperature 0) stays greedy: its
    replies must come out the same every run."""
    if plan.english_only:
        return english_retry_prompt(messages), english_retry_options(plan.options)
    temperature = 0.7 if plan.options.temperature > 0 else 0.0
    return list(messages), dataclasses.replace(avoid_repeats_options(plan.options), temperature=temperature)


_LAST_BREAK = re.compile(r".*(?:[.!?…,;:]['\")\]」』”’]*(?=\s|$)|[。！？，；：、][」』”’）]*)", re.DOTALL)


def finished_part(text: str) -> str:
    """A phrase up to its last sentence or clause punctuation ("" if none): what may be spoken of a reply
    that the token limit cut off mid-sentence, so it does not trail off mid-word."""
    if SENTENCE_END.search(text):
        return text
    match = _LAST_BREAK.match(text)
    return match.group().strip() if match else ""
