"""The brain a conversation records is the one that answered it: over /v1/realtime with the official SDK,
the same Chinese question to the default brain (which writes Chinese) and to SmolLM2 (`?brain=`, which
writes none), and each recorded conversation names the brain whose kind of answer came back."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from openai import AsyncOpenAI

from model.embedded.reply.brains import DEFAULT_BRAIN_ID, SMOLLM2_ID
from model.embedded.speak.phrases import detect_language
from stepaudio_ui.live.conversations import list_conversations
from tests.realtime.conftest import PERSONA_SLUG, RunningServer

pytestmark = pytest.mark.models

QUESTION = "你最喜欢哪一座老钟？"
BILINGUAL_ADA = "You are Ada, a patient museum guide who loves old clocks. Answer in the language the user speaks."


async def _ask(server: RunningServer, brain: str | None) -> tuple[str, str]:
    client = AsyncOpenAI(api_key="unused-on-loopback", websocket_base_url=server.ws_base)
    query = {"brain": brain} if brain else {}
    async with client.beta.realtime.connect(model=PERSONA_SLUG, extra_query=query) as connection:
        created = await asyncio.wait_for(connection.recv(), 60)
        # Ada is an English persona ("Always answer in English"): let her answer in the user's language here.
        # Greedy: which language a brain writes is its most likely answer, not one sample of it.
        await connection.session.update(session={"instructions": BILINGUAL_ADA, "language": "auto", "temperature": 0.0})
        await connection.conversation.item.create(
            item={"type": "message", "role": "user", "content": [{"type": "input_text", "text": QUESTION}]}
        )
        await connection.response.create()

        async def done() -> Any:
            while (event := await connection.recv()).type != "response.done":
                assert event.type != "error", event
            return event

        event = await asyncio.wait_for(done(), 120)
    return created.session.model_extra.get("brain", ""), event.response.output[0].content[0].transcript


async def test_each_conversation_records_the_brain_that_answered(fast_server: RunningServer) -> None:
    default_brain, default_reply = await _ask(fast_server, None)
    small_brain, small_reply = await _ask(fast_server, SMOLLM2_ID)
    assert (default_brain, small_brain) == (DEFAULT_BRAIN_ID, SMOLLM2_ID)  # what session.created says
    assert detect_language(default_reply) == "zh", default_reply  # the default brain writes Chinese...
    assert detect_language(small_reply) == "en", small_reply  # ...SmolLM2 cannot, so it answered in English
    await asyncio.sleep(0.5)  # the recording is closed after the socket
    with fast_server.ctx.db.session() as session:
        recorded = list_conversations(session)[:2]
    newest, older = recorded
    assert (older.brain, newest.brain) == (DEFAULT_BRAIN_ID, SMOLLM2_ID)
    assert newest.brain_card and newest.brain_card["name"] == "SmolLM2 135M Instruct"
    assert older.brain_card and "sha256" in older.brain_card and older.engine == newest.engine == "embedded"
