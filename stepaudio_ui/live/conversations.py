"""Conversation history: which persona / scene versions and which engine a live session used, and its turns.

Each call is its own short write transaction, so the live handler can record a turn the moment it
ends without holding the database.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlmodel import Session, func, select

from stepaudio_ui.studio.library import NotFoundError, StudioError
from stepaudio_ui.studio.store import Conversation, ConversationTurn, utc_now, write_transaction

logger = logging.getLogger(__name__)

Role = Literal["user", "assistant"]
_MAX_TEXT = 20_000
# A /v1/realtime conversation with no persona: a plain assistant its client instructs with session.update.
NO_PERSONA_LABEL = "no persona (client instructions)"


@dataclass(frozen=True)
class TurnView:
    index: int
    role: Role
    text: str
    interrupted: bool
    started_at: datetime
    timings: dict[str, Any]
    audio_path: str | None


@dataclass(frozen=True)
class ConversationSummary:
    id: int
    persona_slug: str | None  # None with None: no persona (NO_PERSONA_LABEL)
    persona_version: int | None
    scene_slug: str | None
    scene_version: int | None
    engine: str
    started_at: datetime
    ended_at: datetime | None
    end_reason: str | None
    turn_count: int
    brain: str | None = None  # the chat model that answered (embedded engine), see `brain_card`
    brain_card: dict[str, Any] | None = None

    @property
    def persona_label(self) -> str:
        """'slug vN', or NO_PERSONA_LABEL."""
        return f"{self.persona_slug} v{self.persona_version}" if self.persona_slug else NO_PERSONA_LABEL

    @property
    def speaker(self) -> str:
        """Who answered, as a transcript names them: the persona's slug, else 'assistant'."""
        return self.persona_slug or "assistant"


@dataclass(frozen=True)
class ConversationView:
    summary: ConversationSummary
    turns: tuple[TurnView, ...]

    @property
    def id(self) -> int:
        return self.summary.id


def start_conversation(
    session: Session,
    *,
    persona_slug: str | None,
    persona_version: int | None,
    scene_slug: str | None,
    scene_version: int | None,
    engine: str,
    brain: dict[str, Any] | None = None,
) -> int:
    """Record the start of a live conversation; returns its id. `brain` is the engine's card of the brain
    the session talks with (`EmbeddedEngine.brain_card`), kept beside the versions and the engine.
    No persona (both None): a /v1/realtime client's plain assistant, instructed by the client itself."""
    if (persona_slug is None) != (persona_version is None):
        raise StudioError("give both persona_slug and persona_version, or neither (a conversation without a persona)")
    if (scene_slug is None) != (scene_version is None):
        raise StudioError("give both scene_slug and scene_version, or neither (a conversation without a scene tone)")
    with write_transaction(session):
        row = Conversation(
            persona_slug=persona_slug,
            persona_version=persona_version,
            scene_slug=scene_slug,
            scene_version=scene_version,
            engine=engine,
            brain=str(brain["id"]) if brain else None,
            brain_card=json.dumps(brain, ensure_ascii=False, sort_keys=True) if brain else None,
        )
        session.add(row)
        session.flush()
        conversation_id = int(row.id or 0)
    logger.info(
        "conversation %d started: %s on %s (brain %s)",
        conversation_id,
        f"{persona_slug} v{persona_version}" if persona_slug else NO_PERSONA_LABEL,
        engine,
        brain["id"] if brain else "-",
    )
    return conversation_id


def _conversation(session: Session, conversation_id: int) -> Conversation:
    row = session.get(Conversation, conversation_id)
    if row is None:
        raise NotFoundError(f"no conversation {conversation_id}; list them with list_conversations()")
    return row


def add_turn(
    session: Session,
    *,
    conversation_id: int,
    role: Role,
    text: str,
    interrupted: bool = False,
    timings: dict[str, Any] | None = None,
    audio_path: str | None = None,
) -> int:
    """Append a turn (the next index); returns the turn's index."""
    if role not in ("user", "assistant"):
        raise StudioError(f"turn role {role!r} is not valid: use 'user' or 'assistant'")
    try:
        timings_json = json.dumps(timings or {}, sort_keys=True)
    except TypeError as error:
        raise StudioError(f"turn timings must be JSON-serialisable numbers or strings ({error})") from None
    with write_transaction(session):
        conversation = _conversation(session, conversation_id)
        if conversation.ended_at is not None:
            raise StudioError(f"conversation {conversation_id} has ended; start a new conversation for new turns")
        count = session.exec(
            select(func.count())
            .select_from(ConversationTurn)
            .where(ConversationTurn.conversation_id == conversation_id)
        ).one()
        session.add(
            ConversationTurn(
                conversation_id=conversation_id,
                index=count,
                role=role,
                text=text[:_MAX_TEXT],
                interrupted=interrupted,
                timings=timings_json,
                audio_path=audio_path,
            )
        )
    return int(count)


def end_conversation(session: Session, *, conversation_id: int, reason: str = "ended") -> None:
    """Mark the conversation ended; ending it twice keeps the first end time and reason."""
    with write_transaction(session):
        conversation = _conversation(session, conversation_id)
        if conversation.ended_at is None:
            conversation.ended_at = utc_now()
            conversation.end_reason = reason[:200]
            session.add(conversation)
    logger.info("conversation %d ended: %s", conversation_id, reason)


def _summary(row: Conversation, turn_count: int) -> ConversationSummary:
    return ConversationSummary(
        id=int(row.id or 0),
        persona_slug=row.persona_slug,
        persona_version=row.persona_version,
        scene_slug=row.scene_slug,
        scene_version=row.scene_version,
        engine=row.engine,
        started_at=row.started_at,
        ended_at=row.ended_at,
        end_reason=row.end_reason,
        turn_count=turn_count,
        brain=row.brain,
        brain_card=json.loads(row.brain_card) if row.brain_card else None,
    )


def list_conversations(session: Session, *, limit: int = 50, offset: int = 0) -> list[ConversationSummary]:
    """Newest first, with the number of turns of each."""
    if not 1 <= limit <= 500 or offset < 0:
        raise StudioError(f"page out of range (limit={limit}, offset={offset}): use limit 1-500 and offset >= 0")
    turn_counts = (
        select(ConversationTurn.conversation_id, func.count().label("turns"))
        .group_by(ConversationTurn.conversation_id)
        .subquery()
    )
    rows = session.exec(
        select(Conversation, func.coalesce(turn_counts.c.turns, 0))
        .outerjoin(turn_counts, turn_counts.c.conversation_id == Conversation.id)
        .order_by(Conversation.started_at.desc(), Conversation.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return [_summary(row, int(count)) for row, count in rows]


def get_conversation(session: Session, *, conversation_id: int) -> ConversationView:
    """A conversation with all its turns in order."""
    row = _conversation(session, conversation_id)
    turns = session.exec(
        select(ConversationTurn)
        .where(ConversationTurn.conversation_id == conversation_id)
        .order_by(ConversationTurn.index)
    ).all()
    views = tuple(
        TurnView(
            index=turn.index,
            role=turn.role,  # type: ignore[arg-type] - stored from a Role
            text=turn.text,
            interrupted=turn.interrupted,
            started_at=turn.started_at,
            timings=json.loads(turn.timings),
            audio_path=turn.audio_path,
        )
        for turn in turns
    )
    return ConversationView(summary=_summary(row, len(views)), turns=views)
