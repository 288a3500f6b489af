"""The copy guard: a reply that opens with words of an earlier reply is stopped and asked again.

A small chat model copies its own earlier replies (the default 0.5B said the same repair advice in 9 of 12
replies of one long conversation); the shaper spots the copy and the writer asks again with DRY sampling.
"""

from __future__ import annotations

from model.embedded.models import EmbeddedModels
from model.embedded.reply.llm import ChatMessage
from model.embedded.reply.persona_prompt import with_few_shot
from model.embedded.reply.plan import (
    AVOID_REPEATS_DRY,
    avoid_repeats_options,
    plan_reply,
    retry_plan,
    without_copied_replies,
)
from model.embedded.reply.shape import EarlierText, ReplyShaper, phrase_key, phrase_keys
from model.embedded.reply.write import ReplyStats
from model.embedded.shared import SharedModels
from model.embedded.speak.phrase_text import join_phrases
from model.events import SessionConfig
from tests.engine.seed_replies import seed_config, seed_reply, write_reply

EARLIER_EN = ["You say xièxie, 谢谢. It means thank you."]
# Said twice already: asked a third time, the 0.5B (greedy) opens its reply with it word for word.
EARLIER_ZH = "请先换一根充电线试试，如果问题仍然存在，请联系我们。"
CHARGING_CALL = [
    ("user", "我的手机充不进电。"),
    ("assistant", EARLIER_ZH),
    ("user", "换了线还是充不进电。"),
    ("assistant", EARLIER_ZH),
    ("user", "还是不行。"),
]


def test_a_reply_opening_with_a_copy_is_marked_for_asking_again() -> None:
    shaper = ReplyShaper(3, earlier_phrases=phrase_keys(EARLIER_EN), copy_guard=True)
    assert shaper.accept("You say xièxie,") == []
    assert shaper.copied and shaper.finished
    shaper.avoid_copies_again()  # the second pass: a copy is dropped (with its sentence), not asked again
    assert not shaper.copied and not shaper.finished
    assert shaper.accept("You say xièxie,") == [] and shaper.accept("which is polite.") == []
    assert shaper.accept("Nice to meet you is 很高兴认识你.") == ["Nice to meet you is 很高兴认识你."]
    assert not shaper.copied


def test_short_common_openers_and_later_copies_do_not_ask_again() -> None:
    earlier = phrase_keys(["Sure, I can help. 好的，请稍等。", EARLIER_ZH])
    shaper = ReplyShaper(3, earlier_phrases=earlier, copy_guard=True)
    assert shaper.accept("Sure,") == ["Sure,"]  # too short to be a copy
    assert shaper.accept("如果问题仍然存在，") == []  # a copied stretch later in the reply is only dropped
    assert not shaper.copied and not shaper.finished
    assert ReplyShaper(3, earlier_phrases=earlier, copy_guard=True).accept("好的，") == ["好的，"]
    # Latin words count whole: "help" inside "helpful" is no copy.
    assert not EarlierText([phrase_key("it is very helpful indeed")]).copies(phrase_key("is very help"))
    assert EarlierText([phrase_key("it is very helpful indeed")]).copies(phrase_key("is very helpful"))


def test_a_copy_with_one_word_misspelt_is_still_a_copy() -> None:
    """lin-tutor's check run: asked for "nice to meet you", the 0.5B said "You say xíèxí, 谢谢." again."""
    earlier = EarlierText([phrase_key("You say xièxie, 谢谢.")])
    assert earlier.copies(phrase_key("You say xíèxí,"))
    assert earlier.copies(phrase_key("You say xiexie,"))  # without the tone marks
    assert not earlier.copies(phrase_key("You say hello,"))  # a different word is no misspelling


def test_without_the_guard_only_whole_sentences_are_dropped() -> None:
    shaper = ReplyShaper(3, earlier_phrases=phrase_keys(EARLIER_EN))
    assert shaper.accept("You say xièxie,") == ["You say xièxie,"]
    assert not shaper.copied


def test_asked_again_with_dry_sampling_only_for_a_bilingual_brain() -> None:
    config = SessionConfig(language="zh")
    plan = plan_reply(config, user_text="你好", user_language="zh", llm_writes_chinese=True, default_voice="v")
    assert plan.copy_guard and plan.options.dry_multiplier == 0  # DRY on every reply mixed English into Chinese
    assert avoid_repeats_options(plan.options).dry_multiplier == AVOID_REPEATS_DRY
    messages = [ChatMessage("system", plan.system_prompt), ChatMessage("user", "你好")]
    retry_messages, retry_options = retry_plan(plan, messages)  # the last try after nothing speakable
    assert retry_messages == messages and retry_options.dry_multiplier == AVOID_REPEATS_DRY
    assert retry_options.temperature == 0.7  # more randomness for the last try...
    greedy = plan_reply(
        config.model_copy(update={"temperature": 0.0}),
        user_text="你好",
        user_language="zh",
        llm_writes_chinese=True,
        default_voice="v",
    )
    assert retry_plan(greedy, messages)[1].temperature == 0.0  # ... but a check run's stays greedy: reproducible
    tiny = plan_reply(config, user_text="你好", user_language="zh", llm_writes_chinese=False, default_voice="v")
    assert not tiny.copy_guard and retry_plan(tiny, messages)[1].dry_multiplier == 0


async def _reply(models: EmbeddedModels, copy_guard: bool) -> tuple[list[str], ReplyStats]:
    config = SessionConfig(instructions="你是小星，一家手机公司的客服。", language="zh", temperature=0.0)
    earlier = [text for role, text in CHARGING_CALL if role == "assistant"]
    plan = plan_reply(
        config,
        user_text=CHARGING_CALL[-1][1],
        user_language="zh",
        llm_writes_chinese=True,
        default_voice="v",
        earlier_replies=earlier,
        copy_guard=copy_guard,
    )
    turns = [ChatMessage(role, text) for role, text in CHARGING_CALL]
    messages = with_few_shot([ChatMessage("system", plan.system_prompt), *turns], list(plan.few_shot))
    shared = SharedModels(models, llm_writes_chinese=True, copy_guard=copy_guard)
    return await write_reply(shared, plan, messages)


async def test_a_reply_that_copies_an_earlier_one_is_asked_again_on_the_real_model(
    embedded_models: EmbeddedModels,
) -> None:
    earlier = EarlierText(phrase_keys([EARLIER_ZH]))
    unguarded, unguarded_stats = await _reply(embedded_models, copy_guard=False)
    # What the guard is for: greedy and unguarded, the default brain says its earlier reply again.
    assert unguarded and earlier.copies(phrase_key(unguarded[0])), unguarded
    assert unguarded_stats.copies_asked_again == 0

    guarded, stats = await _reply(embedded_models, copy_guard=True)
    assert stats.copies_asked_again == 1
    assert guarded, "asked again, the model must still say something"
    assert not earlier.copies(phrase_key(guarded[0])), guarded
    reply = join_phrases(guarded)
    assert reply != join_phrases(unguarded) and any("\u4e00" <= char <= "\u9fff" for char in reply), reply


# Lin's check script, as a check run saw it: her third answer opened with her first ("You say xièxie"), and asked
# again with that reply still in the prompt, she said it once more (0 of 6 replays named "meet you"; 8 of 10 do
# with the copied reply left out of the prompt asked again).
LIN_THANKS = "You say xièxie, 谢谢。 Try it: xièxie!"
LIN_CALL = [
    ("user", "How do I say thank you in Chinese?"),
    ("assistant", LIN_THANKS),
    ("user", "Can we practise some English words?"),
    ("assistant", "Sure, I can help you practice some English words. What would you like to practice?"),
    ("user", "这个英文怎么说：我很高兴认识你。"),
]


def test_asked_again_without_the_copied_reply_but_with_the_example_lines() -> None:
    config = SessionConfig(
        instructions="You are Lin, a language tutor.",
        examples=[{"user": "How do I say thank you in Chinese?", "assistant": "You say xièxie, 谢谢. Try it: xièxie!"}],
    )
    plan = plan_reply(config, user_text=LIN_CALL[-1][1], user_language="zh", llm_writes_chinese=True, default_voice="v")
    turns = [ChatMessage(role, text) for role, text in LIN_CALL]
    messages = with_few_shot([ChatMessage("system", plan.system_prompt), *turns], list(plan.few_shot))
    kept = without_copied_replies(messages, plan, phrase_key("You say xièxie,"))
    assert ChatMessage("assistant", LIN_THANKS) not in kept
    assert kept == [message for message in messages if message != ChatMessage("assistant", LIN_THANKS)]
    assert kept[:3] == messages[:3]  # the system prompt and the example turns stay, though the example matches too


async def test_a_copy_asked_again_without_the_reply_it_copied_answers_what_was_asked(
    embedded_models: EmbeddedModels,
) -> None:
    # Without the Chinese opening (a brain that takes no grammar, as an OpenAI-compatible endpoint), greedy, the
    # first pass opens with "You say xièxie" again.
    lin = seed_config("lin-tutor", "quiet-library")
    reply, stats = await seed_reply(embedded_models, lin, LIN_CALL, chinese_opening=False)
    assert stats.copies_asked_again == 1
    assert "meet you" in reply.lower(), reply
    # Held to a Chinese opening, as the default brain is now, she does not copy it in the first place.
    reply, stats = await seed_reply(embedded_models, lin, LIN_CALL)
    assert stats.copies_asked_again == 0 and "meet you" in reply.lower(), reply


def test_words_of_an_earlier_reply_that_finish_a_sentence_begun_are_spoken() -> None:
    """Luna's "Do you want Ember to look for a pillow" lost its "or a friend?" (words of her last reply) and
    ended mid-question; a sentence that starts as a copy is still dropped."""
    earlier = ["Once upon a time, a sleepy dragon named Ember yawned. Should Ember look for a pillow or a friend?"]
    shaper = ReplyShaper(3, earlier_phrases=phrase_keys(earlier), copy_guard=True)
    assert shaper.accept("It's up to you!") == ["It's up to you!"]
    assert shaper.accept("Do you want Ember to look for a pillow") == ["Do you want Ember to look for a pillow"]
    assert shaper.accept("or a friend?") == ["or a friend?"]
    assert shaper.accept("Should Ember look for a pillow or a friend?") == []
