"""Unpaced sessions and `conversation.item.truncate`: a client that plays reply audio out itself gets each
phrase as one delta, and tells the session what was heard; the history keeps only that."""

from __future__ import annotations

import asyncio

import pytest

from model.embedded.reply.history import ConversationHistory
from model.embedded.reply.llm import ChatMessage
from model.events import ConversationItemTruncate, ResponseCancel, SessionConfig

from .conftest import TEST_INSTRUCTIONS
from .test_interruptions import STORY
from .test_spoken_turns import typed

GREETING = "Hello there. I am Ada, your guide. Ask me anything about old clocks."


def test_revising_a_turn_replaces_it_and_an_emptied_turn_leaves_alternating_roles() -> None:
    history = ConversationHistory(lambda text: len(text.split()), 4_000)
    history.add("user", "Tell me a story.")
    reply = history.add("assistant", "Once upon a time. There was a king.")
    assert reply is not None
    history.add("user", "Stop.")
    revised = history.revise(reply, "Once upon a time.")
    assert revised is not None and [t.content for t in history.turns] == [
        "Tell me a story.",
        "Once upon a time.",
        "Stop.",
    ]
    assert history.revise(revised, "") is None
    assert history.turns == [ChatMessage(role="user", content="Tell me a story. Stop.")]  # merged: roles alternate
    assert history.revise(revised, "gone") is None  # a turn no longer there is left alone


@pytest.mark.models
async def test_unpaced_phrases_come_whole_and_a_truncate_keeps_only_the_heard_ones(engine, open_client):
    client = await open_client(engine, SessionConfig(instructions=TEST_INSTRUCTIONS, language="en", greeting=GREETING))
    done = await client.wait_type("response.done")
    parts = [e for e in client.events if e.type in ("response.audio_transcript.delta", "response.audio.delta")]
    # One audio delta per phrase, its transcript just before it.
    assert [e.type for e in parts] == ["response.audio_transcript.delta", "response.audio.delta"] * (len(parts) // 2)
    assert len(parts) >= 6, [e.type for e in parts]
    first_text, first_audio = parts[0].delta, parts[1].delta
    assert [m.content for m in client.session.history] == [done.response.output[0].content[0].transcript]

    # The listener heard part of the first phrase only.
    item_id = parts[1].item_id
    heard_ms = first_audio.size * 1000 // 24_000 - 50
    await client.session.send(ConversationItemTruncate(item_id=item_id, audio_end_ms=heard_ms))
    truncated = await client.wait_type("conversation.item.truncated")
    assert (truncated.item_id, truncated.content_index, truncated.audio_end_ms) == (item_id, 0, heard_ms)
    assert [(m.role, m.content) for m in client.session.history] == [("assistant", first_text.strip())]

    # Nothing heard at all: the greeting leaves the conversation.
    await client.session.send(ConversationItemTruncate(item_id=item_id, audio_end_ms=0))
    await client.wait_type("conversation.item.truncated", after=client.events.index(truncated) + 1)
    assert client.session.history == []


@pytest.mark.models
async def test_a_truncate_during_the_cancel_ends_the_reply_with_the_heard_text(engine, open_client):
    client = await open_client(engine, STORY)
    await client.session.send(typed("Tell me a long story about a brave little dragon and a lost king."))
    first_audio = await client.wait_type("response.audio.delta")
    heard_ms = first_audio.delta.size * 1000 // 24_000 - 50
    truncate = ConversationItemTruncate(item_id=first_audio.item_id, audio_end_ms=heard_ms)
    await asyncio.gather(client.session.send(ResponseCancel()), client.session.send(truncate))
    done = await client.wait_for(lambda e: e.type == "response.done" and e.response.id == first_audio.response_id)
    first_text = client.of_type("response.audio_transcript.delta")[0].delta.strip()
    assert done.response.status == "cancelled"
    assert done.response.output[0].content[0].transcript == first_text
    assert [m.content for m in client.session.history][-1] == first_text
    await client.wait_type("conversation.item.truncated")


@pytest.mark.models
async def test_bad_truncates_are_errors_that_name_the_problem(engine, open_client):
    client = await open_client(engine, SessionConfig(instructions=TEST_INSTRUCTIONS, language="en", greeting=GREETING))
    done = await client.wait_type("response.done")
    item_id = done.response.output[0].id
    kept = list(client.session.history)
    bad = [
        ({"item_id": "item_nope", "audio_end_ms": 10}, "item_not_found", "item_id"),
        ({"item_id": item_id, "content_index": 1, "audio_end_ms": 10}, "invalid_value", "content_index"),
        ({"item_id": item_id, "audio_end_ms": 600_000}, "invalid_value", "audio_end_ms"),
    ]
    for fields, code, param in bad:
        mark = len(client.events)
        await client.session.send({"type": "conversation.item.truncate", **fields})
        error = await client.wait_type("error", after=mark)
        assert (error.error.code, error.error.param) == (code, param), error.error.message
        assert param in error.error.message
    assert client.session.history == kept  # nothing lost
    assert not client.of_type("conversation.item.truncated")
