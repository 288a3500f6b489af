"""Replies written by the real reply writer on the real brain (no voice), for tests of what the default brain
says: a seed persona's greedy reply to a conversation, or any plan's."""

from __future__ import annotations

import asyncio
import dataclasses
import json

from model.embedded.models import EmbeddedModels
from model.embedded.reply.history import ConversationHistory
from model.embedded.reply.llm import ChatMessage
from model.embedded.reply.plan import ReplyPlan
from model.embedded.reply.prompts import SessionPrompts
from model.embedded.reply.write import ReplyStats
from model.embedded.shared import SharedModels
from model.embedded.speak.phrase_text import join_phrases
from model.events import SessionConfig
from stepaudio_ui.package_data import packaged_folder
from stepaudio_ui.studio.compose import compose_session
from stepaudio_ui.studio.specs import PersonaSpec, SceneSpec
from tests.engine.conftest import start_writer

SEED_DIR = packaged_folder("seeds")
REPLY_TIMEOUT_S = 120.0


def _seed_spec(folder: str, slug: str) -> dict[str, object]:
    return json.loads((SEED_DIR / folder / f"{slug}.json").read_text(encoding="utf-8"))["versions"][-1]["spec"]


def seed_persona(slug: str) -> PersonaSpec:
    """The seed persona's latest version."""
    return PersonaSpec.model_validate(_seed_spec("personas", slug))


def seed_config(persona: str, scene: str) -> SessionConfig:
    """The seed persona under the seed scene, greedy (the same reply every run) and without its greeting."""
    config = compose_session(seed_persona(persona), SceneSpec.model_validate(_seed_spec("scenes", scene)))
    return config.model_copy(update={"greeting": None, "temperature": 0.0})


async def seed_reply(
    models: EmbeddedModels, config: SessionConfig, turns: list[tuple[str, str]], *, chinese_opening: bool = True
) -> tuple[str, ReplyStats]:
    """The reply to the last of `turns` ((role, text), a user turn last) and what the writer measured;
    `chinese_opening=False` plans it without the rule that a Chinese reply opens in Chinese."""
    shared = SharedModels(models, llm_writes_chinese=True, copy_guard=True)
    history = ConversationHistory(shared.count_tokens, shared.context_tokens)
    for role, text in turns:
        history.add(role, text)
    prompts = SessionPrompts(shared, history)
    plan = prompts.plan(config, user_text=turns[-1][1], user_language=None)
    if not chinese_opening:
        plan = dataclasses.replace(plan, options=dataclasses.replace(plan.options, opens_in_chinese=False))
    texts, stats = await write_reply(shared, plan, prompts.messages(plan))
    return join_phrases(texts), stats


async def write_reply(
    shared: SharedModels, plan: ReplyPlan, messages: list[ChatMessage]
) -> tuple[list[str], ReplyStats]:
    """The phrases the writer hands to a voice that keeps up, and what it measured."""
    stats = ReplyStats()
    thread, phrases = await start_writer("resp_test", shared, plan, messages, stats)
    texts: list[str] = []
    while (text := await asyncio.wait_for(phrases.get(), REPLY_TIMEOUT_S)) is not None:
        texts.append(text)
        stats.units_started = stats.units_handed  # a voice keeping up
    thread.join(10)
    return texts, stats
