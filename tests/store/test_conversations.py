"""Conversation history: start, turns in order, end, list newest first."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from stepaudio_ui.live import conversations
from stepaudio_ui.studio.library import NotFoundError, StudioError


def _start(session: Session, persona: str = "nova") -> int:
    return conversations.start_conversation(
        session, persona_slug=persona, persona_version=2, scene_slug="in-car", scene_version=1, engine="embedded"
    )


def test_a_conversation_records_versions_engine_and_turns(session: Session) -> None:
    conversation_id = _start(session)
    assert conversations.add_turn(session, conversation_id=conversation_id, role="user", text="Find a charger") == 0
    assert (
        conversations.add_turn(
            session, conversation_id=conversation_id, role="assistant", text="Eight minutes ahead.",
            interrupted=True, timings={"first_audio_ms": 412.5}, audio_path="conversations/1/1.wav",
        )
        == 1
    )  # fmt: skip
    conversations.end_conversation(session, conversation_id=conversation_id, reason="hang-up")
    conversations.end_conversation(session, conversation_id=conversation_id, reason="later")  # keeps the first
    view = conversations.get_conversation(session, conversation_id=conversation_id)
    summary = view.summary
    assert (summary.persona_slug, summary.persona_version, summary.scene_slug, summary.scene_version, summary.engine) == (
        "nova", 2, "in-car", 1, "embedded",
    )  # fmt: skip
    assert summary.end_reason == "hang-up" and summary.ended_at is not None and summary.turn_count == 2
    assert [(t.index, t.role, t.text, t.interrupted) for t in view.turns] == [
        (0, "user", "Find a charger", False), (1, "assistant", "Eight minutes ahead.", True),
    ]  # fmt: skip
    assert view.turns[1].timings == {"first_audio_ms": 412.5} and view.turns[1].audio_path == "conversations/1/1.wav"
    with pytest.raises(StudioError, match="has ended; start a new conversation"):
        conversations.add_turn(session, conversation_id=conversation_id, role="user", text="more")


def test_list_is_newest_first_with_turn_counts(session: Session) -> None:
    first = _start(session, "nova")
    second = _start(session, "sam")
    conversations.add_turn(session, conversation_id=first, role="user", text="hi")
    listed = conversations.list_conversations(session)
    assert [(c.id, c.persona_slug, c.turn_count) for c in listed] == [(second, "sam", 0), (first, "nova", 1)]
    assert [c.id for c in conversations.list_conversations(session, limit=1, offset=1)] == [first]


def test_bad_calls_name_the_problem(session: Session) -> None:
    with pytest.raises(NotFoundError, match="no conversation 42"):
        conversations.add_turn(session, conversation_id=42, role="user", text="hi")
    conversation_id = _start(session)
    with pytest.raises(StudioError, match="role 'system' is not valid"):
        conversations.add_turn(session, conversation_id=conversation_id, role="system", text="hi")  # type: ignore[arg-type]
    with pytest.raises(StudioError, match="JSON-serialisable"):
        conversations.add_turn(session, conversation_id=conversation_id, role="user", text="x", timings={"t": object()})
    with pytest.raises(StudioError, match="both scene_slug and scene_version"):
        conversations.start_conversation(
            session, persona_slug="a", persona_version=1, scene_slug="b", scene_version=None, engine="x"
        )
