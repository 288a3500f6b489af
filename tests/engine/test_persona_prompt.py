"""What a bilingual brain is shown for a persona: the system prompt stays the same for every turn of a
session (so the prompt warmed while the user listened is reused), the persona's example lines come as
turns instead of text, a Chinese turn in an "auto" session is hinted to be answered in Chinese, and
SmolLM2 keeps its own English-only prompting."""

from __future__ import annotations

from model.embedded.reply.llm import ChatMessage
from model.embedded.reply.persona_prompt import CHINESE_TURN_HINT, with_few_shot
from model.embedded.reply.plan import adapt_prompt, plan_reply
from model.events import FewShotTurn, SessionConfig
from model.example_lines import example_line

EXAMPLES = [FewShotTurn(user="Find me a charger.", assistant="There's a fast charger eight minutes ahead.")]
INSTRUCTIONS = "You are Nova.\n" + example_line(EXAMPLES[0].user, EXAMPLES[0].assistant) + "\nStay in character."


def _plan(config: SessionConfig, text: str | None, language: str | None, *, bilingual: bool = True):  # noqa: ANN202
    return plan_reply(config, user_text=text, user_language=language, llm_writes_chinese=bilingual, default_voice="v")


def test_examples_become_turns_and_leave_the_system_prompt() -> None:
    config = SessionConfig(instructions=INSTRUCTIONS, examples=EXAMPLES, language="en", max_sentences=2)
    plan = _plan(config, "Hi", "en")
    assert "Example - User" not in plan.system_prompt and plan.system_prompt.startswith("You are Nova.")
    assert "one to two short sentences" in plan.system_prompt and "AI voice" in plan.system_prompt
    prompt = with_few_shot([ChatMessage("system", plan.system_prompt), ChatMessage("user", "Hi")], list(plan.few_shot))
    assert [m.role for m in prompt] == ["system", "user", "assistant", "user"]
    assert prompt[2].content == EXAMPLES[0].assistant


def test_the_system_prompt_is_the_same_whatever_language_a_turn_is_in() -> None:
    config = SessionConfig(instructions=INSTRUCTIONS, examples=EXAMPLES, language="auto")
    warmed = _plan(config, None, None)  # what `warm_next` evaluates before the user speaks
    english, chinese = _plan(config, "Hello", "en"), _plan(config, "你好吗？", "zh")
    assert warmed.system_prompt == english.system_prompt == chinese.system_prompt
    assert (english.language, chinese.language) == ("en", "zh")
    hinted = adapt_prompt([ChatMessage("system", chinese.system_prompt), ChatMessage("user", "你好吗？")], chinese)
    # The hint is a system line of its own just before the turn: inside it, the 0.5B answered the sentence it
    # was asked to translate. Applied twice, it is still said once.
    assert hinted[-2:] == [ChatMessage("system", CHINESE_TURN_HINT), ChatMessage("user", "你好吗？")]
    assert adapt_prompt(hinted, chinese) == hinted
    plain = adapt_prompt([ChatMessage("system", english.system_prompt), ChatMessage("user", "Hello")], english)
    assert plain[-1].content == "Hello"


def test_a_chinese_persona_is_told_once_and_needs_no_hint() -> None:
    plan = _plan(SessionConfig(instructions="你是小星。", language="zh"), "我的手机充不进电。", "zh")
    assert "只用简体中文回答" in plan.system_prompt and plan.language == "zh" and not plan.chinese_hint


def test_smollm2_keeps_its_english_framing_and_no_few_shot_turns() -> None:
    config = SessionConfig(instructions=INSTRUCTIONS, examples=EXAMPLES, language="auto")
    plan = _plan(config, "你喜欢什么？", "zh", bilingual=False)
    assert plan.english_only and plan.few_shot == () and plan.language == "en"
    framed = adapt_prompt([ChatMessage("system", plan.system_prompt), ChatMessage("user", "你喜欢什么？")], plan)
    assert framed[-1].content.startswith("(The user said this in Chinese:")


def test_a_stock_refusal_is_not_spoken_but_a_persona_declining_is() -> None:
    from model.embedded.reply.shape import ReplyShaper

    assert ReplyShaper(3).accept("I'm sorry, but I can't assist with that.") == []
    declined = "I can't help with that while you're driving."
    assert ReplyShaper(3).accept(declined) == [declined]


def test_a_stock_refusal_cut_into_two_phrases_is_dropped_whole() -> None:
    """The first phrase is cut at its first comma: the apology waits for the phrase after it."""
    from model.embedded.reply.shape import ReplyShaper

    refusal = ReplyShaper(3)
    assert refusal.accept("I'm sorry,") == [] and refusal.accept("but I can't assist with that.") == []
    assert refusal.release() == []
    apology = ReplyShaper(3)
    assert apology.accept("Sorry,") == [] and apology.accept("the line is busy.") == ["Sorry,", "the line is busy."]
    alone = ReplyShaper(3)
    assert alone.accept("I'm sorry,") == [] and alone.release() == ["I'm sorry,"]  # said at the reply's end


def test_the_last_try_after_a_dropped_refusal_is_not_silenced() -> None:
    """A pass that was only a stock refusal leaves nothing to speak; asked again, the model may open the same
    way: its "I'm sorry," is no loop, and a refusal said twice is spoken rather than leave the user in silence."""
    from model.embedded.reply.shape import ReplyShaper

    shaper = ReplyShaper(3)
    assert shaper.accept("I'm sorry,") == [] and shaper.accept("but I can't assist with that request.") == []
    shaper.last_try()
    assert shaper.accept("I'm sorry,") == []  # held for the phrase after it, not cut as a repeat
    assert shaper.accept("but I can't assist with that request.") == [
        "I'm sorry,",
        "but I can't assist with that request.",
    ]


def test_a_chinese_stock_refusal_ends_the_pass_and_nothing_after_it_is_spoken() -> None:
    """小星 answered "我的手机充不进电。" with "抱歉，我无法帮助您。如果您有其他问题，请随时告诉我。" in a check
    run: neither part answers, so the pass ends and the writer asks again (it has nothing to speak)."""
    from model.embedded.reply.shape import ReplyShaper

    shaper = ReplyShaper(3)
    assert shaper.accept("抱歉，") == [] and shaper.accept("我无法帮助您。") == []
    assert shaper.finished and shaper.accept("如果您有其他问题，") == [] and shaper.release() == []
    whole = ReplyShaper(3)
    assert whole.accept("对不起，我不能帮你处理这个问题。") == [] and whole.finished
    with_particle = ReplyShaper(3)  # another check run's: "抱歉，我无法帮助您的。请问您有什么问题或者需要什么帮助吗？"
    assert with_particle.accept("抱歉，") == [] and with_particle.accept("我无法帮助您的。") == []
    assert with_particle.finished
    declined = "开车的时候我不能帮您查这个，我们先停好车吧。"
    assert ReplyShaper(3).accept(declined) == [declined]


def test_an_english_refusal_that_opens_a_reply_ends_the_pass() -> None:
    from model.embedded.reply.shape import ReplyShaper

    shaper = ReplyShaper(3)
    assert shaper.accept("I'm sorry, but I can't assist with that.") == [] and shaper.finished
    assert shaper.accept("If you have other questions, let me know.") == []


def test_a_bare_list_number_is_not_spoken_and_ends_no_sentence() -> None:
    """Lin's "Sure! Here are a few examples: 1." ended on the "1.": it counted as her second sentence of two."""
    from model.embedded.reply.shape import ReplyShaper

    shaper = ReplyShaper(2)
    assert shaper.accept("Sure!") == ["Sure!"] and shaper.accept("Here are a few examples:") == [
        "Here are a few examples:"
    ]
    assert shaper.accept("1.") == [] and not shaper.finished
    assert shaper.accept("Apple, banana and window.") == ["Apple, banana and window."] and shaper.finished
    assert ReplyShaper(2).accept("It opened in 2019.") == ["It opened in 2019."]
