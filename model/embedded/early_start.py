"""Start answering at the speaker's pause instead of at the end-of-turn decision.

The turn is usually decided 200-600 ms into the silence, yet the words are known sooner: the early
transcript (`early_asr`) is ready ~100-200 ms into it. A reply started then has its first tokens, and
often its first phrase's audio, by the time the decision comes. It is *held*: it emits nothing until
the turn really ends on that same transcript, under the same session config and history, and then it is
adopted as the turn's response. If the speaker goes on, or anything else changes first, it is dropped
without a trace (no events, nothing in the history); the cost is some CPU on an otherwise idle turn.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from model.embedded.listen.early_asr import Pending
from model.embedded.reply.llm import ChatMessage
from model.embedded.spoken_response import ResponseRun
from model.events import SessionConfig

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Started:
    pending: Pending  # the early transcript it answers
    run: ResponseRun
    config: SessionConfig
    history: tuple[ChatMessage, ...]


class EarlyReplies:
    """At most one held reply per session; called from the session's event loop only."""

    def __init__(self) -> None:
        self._started: _Started | None = None

    def started(
        self, pending: Pending, run: ResponseRun, config: SessionConfig, history: tuple[ChatMessage, ...]
    ) -> None:
        """`run` (started held) answers the early transcript `pending`; an older held reply is dropped."""
        self.discard()
        self._started = _Started(pending, run, config, history)
        logger.debug("response %s started early, at the speaker's pause", run.response_id)

    def discard(self) -> None:
        """The held reply (if any) can no longer be the answer: stop it, leaving no trace."""
        started, self._started = self._started, None
        if started is not None:
            started.run.drop()

    def take(
        self, pending: Pending | None, config: SessionConfig, history: tuple[ChatMessage, ...]
    ) -> ResponseRun | None:
        """The held reply when it answers exactly this turn (its early transcript, the same session config
        and history) and is still running; otherwise it is dropped and None is returned."""
        started, self._started = self._started, None
        if started is None:
            return None
        if (
            started.pending is pending
            and started.config is config
            and started.history == history
            and started.run.active
        ):
            return started.run
        started.run.drop()
        return None
