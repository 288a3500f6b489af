"""A reply never reads the persona's instructions aloud: six words in a row (ten Chinese characters) of the system
prompt end the reply before them.

Captain Grizzle, asked "Tell me about your ship.", answered with his own character text in a `bench brain` run and
in every greedy check run (the replies below, as recorded); his own salty lines, and every seed persona's example
lines (turns of the prompt, not part of the system prompt), are spoken untouched."""

from __future__ import annotations

from model.embedded.reply.plan import ReplyPlan, plan_reply
from model.embedded.reply.shape import ReplyShaper
from model.embedded.speak.phrases import PhraseSplitter
from model.events import SessionConfig
from stepaudio_ui.studio.compose import compose_session
from stepaudio_ui.studio.specs import PersonaSpec
from tests.engine.seed_replies import SEED_DIR, seed_persona

RECITED = [
    "I'm a grumpy old sea captain with a short fuse. You are gruff, impatient and easily annoyed, but secretly you "
    "care and always give good advice in the end.",
    "I'm a grumpy old sea captain who has sailed every ocean and has no patience for landlubbers. You are gruff, "
    "impatient and easily annoyed, but secretly you care and always give good advice in the end.",
    "You are gruff, impatient and easily annoyed, but secretly you care and always give good advice in the end.",
]


def _persona_plan(slug: str) -> tuple[ReplyPlan, PersonaSpec]:
    persona = seed_persona(slug)
    plan = plan_reply(
        compose_session(persona, None), user_text="Hi", user_language="en", llm_writes_chinese=True, default_voice="v"
    )
    return plan, persona


def _spoken(plan: ReplyPlan, reply: str) -> str:
    """What the shaper lets through of `reply`, streamed in pieces as the brain writes it."""
    splitter, shaper = PhraseSplitter(), ReplyShaper(10, instructions=plan.system_prompt, copy_guard=True)
    spoken: list[str] = []
    pieces = list(reply) if not reply.isascii() else [word + " " for word in reply.split(" ")]
    for piece in pieces:
        for phrase in splitter.feed(piece):
            spoken += shaper.accept(phrase)
    for phrase in splitter.flush():
        spoken += shaper.accept(phrase)
    return " ".join([*spoken, *shaper.release()])


def test_a_reply_that_recites_the_character_text_ends_before_it() -> None:
    plan, _ = _persona_plan("captain-grizzle")
    for reply in RECITED[:2]:
        spoken = _spoken(plan, reply)
        assert "gruff" not in spoken and "landlubbers" not in spoken and "short fuse" not in spoken, spoken
    assert _spoken(plan, RECITED[0]) == "I'm a grumpy old sea captain"
    # A recital from the first word is known by its second phrase: the first few words were already spoken.
    assert _spoken(plan, RECITED[2]) == "You are gruff,"
    own = "Blast it, she's the Salty Gull, the finest ship on every ocean. Now stop asking!"
    assert _spoken(plan, own) == "Blast it, she's the Salty Gull, the finest ship on every ocean. Now stop asking!"


def test_every_seed_personas_example_lines_are_spoken_whole() -> None:
    for path in sorted((SEED_DIR / "personas").glob("*.json")):
        plan, persona = _persona_plan(path.stem)
        for example in persona.examples:
            spoken = _spoken(plan, example.assistant)
            assert len(spoken) >= 0.9 * len(example.assistant), (path.stem, example.assistant, spoken)


def test_a_chinese_recital_is_cut_too() -> None:
    instructions = "你是小星，一家手机公司的客服。你说话亲切、耐心，总是先确认用户的问题，再一步一步给出解决办法。"
    config = SessionConfig(instructions=instructions, language="zh")
    plan = plan_reply(config, user_text="你是谁？", user_language="zh", llm_writes_chinese=True, default_voice="v")
    spoken = _spoken(plan, "我是小星。我总是先确认用户的问题，再一步一步给出解决办法。有什么可以帮您？")
    assert "一步一步给出解决办法" not in spoken and spoken.startswith("我是小星。"), spoken
    assert _spoken(plan, "请先换一根充电线试试，再看看能不能充电。") == "请先换一根充电线试试， 再看看能不能充电。"
