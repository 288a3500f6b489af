"""Conversation history trimming and reply shaping (pure logic: no models needed)."""

from __future__ import annotations

import logging

from model.embedded.reply.history import MAX_TURN_CHARS, ConversationHistory
from model.embedded.reply.llm import ChatMessage, GenerationOptions, estimate_tokens
from model.embedded.reply.plan import (
    adapt_prompt,
    english_retry_options,
    english_retry_prompt,
    finished_part,
    plan_reply,
)
from model.embedded.reply.shape import ReplyShaper
from model.embedded.speak.phrase_text import join_phrases
from model.events import SessionConfig


def history_with(turns: int, context_tokens: int = 300) -> ConversationHistory:
    history = ConversationHistory(estimate_tokens, context_tokens)
    for index in range(turns):
        history.add("user", f"Question number {index}: what do you think about topic {index} in some detail?")
        history.add("assistant", f"Answer number {index}: it is a fine topic and I like it a lot, truly.")
    return history


def test_prompt_keeps_the_newest_turns_that_fit():
    history = history_with(20)
    prompt = history.prompt("You are Ada.", reserve_tokens=100)
    assert prompt[0].role == "system" and prompt[0].content == "You are Ada."
    kept = prompt[1:]
    assert 0 < len(kept) < 40
    assert kept[-1].content.startswith("Answer number 19")  # the newest survive, the oldest go
    total = sum(estimate_tokens(m.content) + 4 for m in prompt)
    assert total <= 300 - 100


def test_an_overlong_last_user_turn_is_cut_not_dropped():
    history = ConversationHistory(estimate_tokens, 200)
    history.add("user", " ".join(f"word{i}" for i in range(400)))
    prompt = history.prompt("sys", reserve_tokens=50)
    assert prompt[-1].role == "user" and prompt[-1].content.endswith("word399")
    assert estimate_tokens(prompt[-1].content) < 200


def test_consecutive_user_turns_merge_and_empty_turns_vanish():
    history = ConversationHistory(estimate_tokens, 500)
    history.add("user", "Hello")
    history.add("assistant", "   ")  # a reply cancelled before a word was heard
    history.add("user", "are you there?")
    assert [(m.role, m.content) for m in history.turns] == [("user", "Hello are you there?")]


def test_shaper_stops_after_the_sentence_limit_and_at_loops():
    shaper = ReplyShaper(max_sentences=2)
    assert shaper.accept("**Hello** there 😀!") == ["Hello there !"]
    assert shaper.accept("Assistant: I am fine.") == ["I am fine."]
    assert shaper.finished and shaper.accept("A third sentence.") == []

    looping = ReplyShaper(max_sentences=5)
    assert looping.accept("I like cats.") == ["I like cats."]
    assert looping.accept("I like cats.") == [] and looping.finished
    assert ReplyShaper(5).accept("no no no no no no") == []


def test_an_english_only_model_has_its_chinese_noise_removed_not_spoken():
    shaper = ReplyShaper(5, english_only=True)
    assert shaper.accept("英文：Can you tell me more?") == ["Can you tell me more?"]
    assert shaper.accept("你好，今天天气很好。") == []  # a Chinese phrase from it is dropped whole
    assert ReplyShaper(5).accept("英文：Can you tell me more?") == [
        "英文：Can you tell me more?"
    ]  # a model that writes Chinese


def test_join_phrases_spaces_english_not_chinese():
    assert join_phrases(["Hello there.", "How are you?"]) == "Hello there. How are you?"
    assert join_phrases(["你好。", "今天好吗？"]) == "你好。今天好吗？"


def test_reply_language_and_the_chinese_fallback(caplog):
    auto = SessionConfig(language="auto", instructions="You are Ada.")
    assert (
        plan_reply(auto, user_text="Hi", user_language="en", llm_writes_chinese=False, default_voice="v").language
        == "en"
    )
    with caplog.at_level(logging.WARNING):
        tiny = plan_reply(auto, user_text="你好", user_language="zh", llm_writes_chinese=False, default_voice="v")
    english = plan_reply(auto, user_text="Hi", user_language="en", llm_writes_chinese=False, default_voice="v")
    assert tiny.language == "en" and "Answer in English." in tiny.system_prompt
    # The prompt evaluated ahead of the turn (planned without the user's words) must start the same way.
    assert tiny.system_prompt == english.system_prompt
    assert "cannot write Chinese" in caplog.text
    able = plan_reply(auto, user_text="你好", user_language="zh", llm_writes_chinese=True, default_voice="v")
    assert able.language == "zh" and "简体中文" in able.system_prompt
    fixed = SessionConfig(language="en", max_sentences=2, speed=3.0)
    plan = plan_reply(fixed, user_text="你好", user_language="zh", llm_writes_chinese=True, default_voice="v")
    assert plan.language == "en" and plan.max_sentences == 2 and plan.speed == 2.0 and plan.voice == "v"
    assert "<|im_end|>" in plan.options.stop


def test_an_english_only_model_gets_chinese_framed_and_its_chinese_dropped():
    auto = SessionConfig(language="auto")
    plan = plan_reply(auto, user_text="你好吗？", user_language="zh", llm_writes_chinese=False, default_voice="v")
    assert plan.english_only and plan.user_spoke_chinese
    prompt = [ChatMessage("system", "sys"), ChatMessage("user", "你好吗？")]
    framed = adapt_prompt(prompt, plan)
    assert framed[0] == prompt[0]
    assert framed[-1].content.startswith("(The user said this in Chinese") and "你好吗？" in framed[-1].content
    shaper = ReplyShaper(3, english_only=True)
    assert shaper.accept("猫天上！阿弾凉少。") == []
    assert shaper.accept("I am fine, thank you.") == ["I am fine, thank you."]
    able = plan_reply(auto, user_text="你好吗？", user_language="zh", llm_writes_chinese=True, default_voice="v")
    # A bilingual brain gets the words as they were (after a hint to answer in Chinese), never the framing.
    assert adapt_prompt(prompt, able)[-1] == prompt[-1]


def test_phrases_copied_from_earlier_replies_are_dropped_and_history_can_be_windowed():
    plan = plan_reply(
        SessionConfig(language="en"),
        user_text="Hi",
        user_language="en",
        llm_writes_chinese=False,
        default_voice="v",
        earlier_replies=["Paris is the capital of France. It is lovely!"],
    )
    shaper = ReplyShaper(3, earlier_phrases=plan.earlier_phrases)
    assert shaper.accept("Paris is the capital of France!") == []
    assert shaper.accept("Berlin is the capital of Germany.") == ["Berlin is the capital of Germany."]
    history = history_with(5)
    history.add("user", "And now?")
    window = history.prompt("sys", reserve_tokens=10, max_turns=3)
    assert [m.role for m in window] == ["system", "user", "assistant", "user"]
    assert window[1].content.startswith("Question number 4") and window[3].content == "And now?"


def test_replies_drifting_out_of_english_are_not_spoken():
    """SmolLM2 answers a question about France in French; spoken, that reply would also steer the rest of
    the conversation into French through the history."""
    shaper = ReplyShaper(3, english_only=True, expect_english=True)
    assert shaper.accept("Bien sûr! Je ne pas vous demander que votre ami soit à faire un café au chocolat.") == []
    assert shaper.accept("El peur que la raye n'est pas bonne.") == []
    assert shaper.dropped_foreign == 2
    # A dropped start takes the rest of its sentence with it: no reply may begin mid-sentence.
    assert shaper.accept("Le Grand Parisis la Cité de la") == []
    assert shaper.accept("lumière is a city of light.") == []
    assert shaper.accept("The capital city of France is Paris.") == ["The capital city of France is Paris."]
    assert shaper.accept("Bonjour, ami!") == ["Bonjour, ami!"]  # too short to judge: a greeting may quote French
    persona_language_free = ReplyShaper(3)
    assert persona_language_free.accept("Je ne sais pas pourquoi il pleut.") == ["Je ne sais pas pourquoi il pleut."]


def test_the_retry_prompt_reminds_the_model_of_the_language():
    messages = [ChatMessage("system", "You are Ada."), ChatMessage("user", "Hello")]
    retry = english_retry_prompt(messages)
    assert retry[0].content.startswith("You are Ada.") and "English only" in retry[0].content
    assert retry[1:] == messages[1:]
    assert english_retry_options(GenerationOptions(temperature=0.7)).temperature == 0.3


def test_the_last_try_speaks_what_the_first_would_have_dropped():
    shaper = ReplyShaper(3, expect_english=True, earlier_phrases=frozenset({"i love the old clock tower"}))
    assert shaper.accept("J'aime beaucoup la vieille horloge de la gare.") == []
    assert shaper.accept("I love the old clock tower.") == []  # a copy of an earlier reply
    shaper.last_try()
    assert shaper.accept("I love the old clock tower.") == ["I love the old clock tower."]
    assert shaper.accept("Elle sonne toujours à midi pile.") == ["Elle sonne toujours à midi pile."]


def test_the_finished_part_of_a_phrase_cut_off_by_the_token_limit():
    assert finished_part("and mysterious, with hues of sapphire that reflect light fro") == "and mysterious,"
    assert finished_part("It is blue.") == "It is blue."
    assert finished_part("no break here at all") == ""
    assert finished_part("他说，今天很好") == "他说，"
    assert finished_part("it costs 3.5 euros and") == ""  # a decimal point is not a break


def test_an_echo_of_the_chinese_framing_is_not_spoken():
    """A tiny model echoes `adapt_prompt`'s framing; the persona must not read our instructions aloud."""
    shaper = ReplyShaper(3, english_only=True)
    assert shaper.accept("(The user said this in Chinese:") == []
    assert shaper.accept('"你好，请介绍一下你自己。")') == []
    assert shaper.accept("Reply in simple English.") == []
    assert shaper.accept("Hello! I'm Ada, your helper.") == ["Hello! I'm Ada, your helper."]
    whole = ReplyShaper(3, english_only=True)
    assert whole.accept("(The user said this, they want to go home.)") == []
    assert whole.accept("Enjoy your walk in the park!") == ["Enjoy your walk in the park!"]
    # Words that only look alike are kept.
    assert ReplyShaper(3, english_only=True).accept("Our users said it was easy.") == ["Our users said it was easy."]
    # A model that writes Chinese is never shown the framing, and authored lines are never filtered.
    assert ReplyShaper(3).accept("The user said it was easy.") == ["The user said it was easy."]


def test_typed_items_without_replies_keep_a_bounded_user_turn():
    """A client sending typed items and never asking for a reply: one merged user turn, its newest text
    kept, bounded (it grew without limit before, each merge copying all of it)."""
    history = ConversationHistory(estimate_tokens, 2048)
    for index in range(3_000):
        history.add("user", f"item {index:04d} " + "words " * 15)
    assert len(history.turns) == 1
    merged = history.turns[0].content
    assert len(merged) <= MAX_TURN_CHARS
    assert merged.endswith("item 2999 " + ("words " * 15).strip())
    assert merged.split()[0] in ("item", "words")  # starts at a whole word
    history.add("assistant", "ok")
    history.add("user", "x" * (MAX_TURN_CHARS + 500))  # one item over the bound (above the wire limit)
    assert len(history.turns[-1].content) == MAX_TURN_CHARS
