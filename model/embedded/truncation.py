"""`conversation.item.truncate` for the embedded engine: the assistant's turn keeps only what was heard.

A client that plays reply audio out itself (the Live bridge) knows how much of it the listener heard. It
truncates the assistant item there, as OpenAI's realtime API defines it: the phrases whose audio had started
by `audio_end_ms` stay in the conversation, the rest leaves it. The truncate may come while the reply is
still finishing after its cancel (the reply then ends with the heard text) or after it ended (its turn in
the history is then revised). A bad truncate is an `error` event, as OpenAI answers it.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from model.embedded.reply.history import ConversationHistory
from model.embedded.reply.llm import ChatMessage
from model.events import ConversationItemTruncate, ConversationItemTruncated, ServerEvent, error_event

if TYPE_CHECKING:  # the run imports SpokenPhrase from here
    from model.embedded.spoken_response import ResponseRun

MAX_ITEMS = 32  # the newest assistant items a session can still truncate: a bounded memory per session


@dataclass(frozen=True)
class SpokenPhrase:
    text: str
    start_ms: float  # offset of its first sample in the reply's audio
    duration_ms: float


def started_before(phrases: Sequence[SpokenPhrase], end_ms: float) -> list[SpokenPhrase]:
    """The phrases whose audio had started playing when `end_ms` of the reply had been played."""
    return [phrase for phrase in phrases if phrase.start_ms < end_ms]


def audio_ms(phrases: Sequence[SpokenPhrase]) -> float:
    """How long the audio of these phrases (a reply's, in order) is."""
    return phrases[-1].start_ms + phrases[-1].duration_ms if phrases else 0.0


class AssistantItems:
    """One session's assistant audio items (the newest MAX_ITEMS) and the history turn each one became."""

    def __init__(self, history: ConversationHistory, on_revised: Callable[[], None]) -> None:
        self._history = history
        self._on_revised = on_revised  # the history changed after the fact (the next prompt is warmed again)
        self._runs: OrderedDict[str, ResponseRun] = OrderedDict()
        self._turns: dict[str, ChatMessage] = {}

    def announced(self, run: ResponseRun) -> None:
        self._runs[run.item_id] = run
        while len(self._runs) > MAX_ITEMS:
            oldest, _ = self._runs.popitem(last=False)
            self._turns.pop(oldest, None)

    def kept(self, item_id: str, turn: ChatMessage | None) -> None:
        """The reply of `item_id` became `turn` in the history (None: it left no turn of its own)."""
        if item_id in self._runs and turn is not None:
            self._turns[item_id] = turn

    def truncate(self, event: ConversationItemTruncate) -> ServerEvent:
        """`conversation.item.truncated`, or an `error` naming what is wrong with the request."""
        run = self._runs.get(event.item_id)
        if run is None:
            return error_event(
                f"Item {event.item_id!r} not found: only the assistant's audio items of this conversation can be "
                "truncated (use the item_id of their response.audio.delta events).",
                code="item_not_found",
                param="item_id",
                event_id=event.event_id,
            )
        if event.content_index != 0:
            return error_event(
                f"content_index {event.content_index} does not exist: an assistant item has one audio part, index 0.",
                code="invalid_value",
                param="content_index",
                event_id=event.event_id,
            )
        sent_ms = audio_ms(run.spoken)
        if event.audio_end_ms > math.ceil(sent_ms):
            return error_event(
                f"audio_end_ms {event.audio_end_ms} is past the end of the item's audio ({sent_ms:.0f} ms "
                "sent so far): send how many milliseconds of it were played.",
                code="invalid_value",
                param="audio_end_ms",
                event_id=event.event_id,
            )
        text = run.truncate(event.audio_end_ms)
        turn = self._turns.pop(event.item_id, None)
        if text is not None and turn is not None:
            revised = self._history.revise(turn, text)
            if revised is not None:
                self._turns[event.item_id] = revised
            self._on_revised()
        return ConversationItemTruncated(
            item_id=event.item_id, content_index=event.content_index, audio_end_ms=event.audio_end_ms
        )
