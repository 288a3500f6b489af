"""The system prompt and few-shot turns a small chat model is shown for a persona.

What a 0.5B model follows, measured with `stepaudio-ui bench brain`: a short system prompt that ends on
a few plain rules (length, no stage directions, no made-up facts, honesty about being an AI), the
persona's example lines as real user/assistant turns rather than as text inside the system prompt, and
the reply language stated once per session (a line that changed per turn would make llama.cpp evaluate
the whole prompt again instead of reusing the one warmed while the user listened).

The composed instructions (stepaudio_ui/studio/compose.py) carry the example lines too, for engines that only
take instructions; `instructions_without_examples` takes them out again when they come as turns.
"""

from __future__ import annotations

from model.embedded.reply.llm import ChatMessage
from model.events import SessionConfig
from model.example_lines import instructions_without_examples

DEFAULT_INSTRUCTIONS = "You are a friendly voice assistant. Answer briefly and helpfully."

# Said once in the system prompt, for a brain that writes both languages.
LANGUAGE_LINES = {
    "en": "Answer in English.",
    "zh": "只用简体中文回答。Answer in Mandarin Chinese (简体中文) only.",
    "auto": "Answer in the language of the user's last message: English, or Mandarin Chinese (简体中文).",
}
# Said just before a Chinese user turn in a session whose language is "auto" (the system prompt, fixed for the
# session so its evaluation is reused, cannot say which language this turn wants). A system message of its
# own, not words added to the user's: written inside the user turn, "（请用中文回答…）" made the 0.5B answer
# the sentence it was asked to translate ("这个英文怎么说：我很高兴认识你。" -> "你好！很高兴认识你。"): in
# 12 replies to four Chinese questions put to Lin and Luna, 7 named what was asked with it in the user turn,
# 11 with it before. English stays allowed: a tutor asked how to say something in English must say the English.
CHINESE_TURN_HINT = (
    "The user's last message is in Chinese: answer in Chinese (with English words where the answer needs them)."
)


def spoken_rules(max_sentences: int) -> str:
    words = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}
    sentences = (
        "one short sentence"
        if max_sentences == 1
        else f"one to {words.get(max_sentences, str(max_sentences))} short sentences"
    )
    return (
        f"You are speaking aloud in a live voice conversation: say {sentences}, in plain words. "
        # Not "with one concrete, helpful next step": the storyteller, asked "What happens next?", narrated "The
        # next step is to ask Ember..." instead of telling the story on (5 of 5 replays tell it on with this line).
        "Reply to exactly what the user just said, in character: answer their question, "
        "or take what they told you one concrete step further. "
        "No lists, no markdown, no emoji, no stage directions or actions in brackets. "
        "Do not make up facts, numbers, prices or policies: when unsure, say you will check. "
        "If asked whether you are a person, say honestly that you are an AI voice."
    )


def system_prompt(config: SessionConfig, *, max_sentences: int, session_language: str) -> str:
    """The system prompt for a brain that writes English and Chinese (the same for every turn of a session)."""
    instructions = (config.instructions or DEFAULT_INSTRUCTIONS).strip()
    if config.examples:
        instructions = instructions_without_examples(instructions, config.examples)
    return "\n".join([instructions, spoken_rules(max_sentences), LANGUAGE_LINES[session_language]])


def few_shot_messages(config: SessionConfig) -> list[ChatMessage]:
    """The persona's example lines as alternating user/assistant turns, shown after the system prompt."""
    messages: list[ChatMessage] = []
    for example in config.examples or []:
        messages += [ChatMessage("user", example.user), ChatMessage("assistant", example.assistant)]
    return messages


def with_few_shot(messages: list[ChatMessage], few_shot: list[ChatMessage]) -> list[ChatMessage]:
    """`messages` (system prompt first) with the few-shot turns right after the system prompt."""
    if not few_shot or not messages or messages[0].role != "system":
        return messages
    return [messages[0], *few_shot, *messages[1:]]


def with_chinese_hint(messages: list[ChatMessage]) -> list[ChatMessage]:
    """The hint to answer in Chinese just before the last user turn (only the prompt changes, not the history)."""
    if not messages or messages[-1].role != "user":
        return messages
    if len(messages) > 1 and messages[-2] == ChatMessage("system", CHINESE_TURN_HINT):
        return messages
    return [*messages[:-1], ChatMessage("system", CHINESE_TURN_HINT), messages[-1]]
