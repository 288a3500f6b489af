"""A session's conversation, trimmed so the system prompt plus history fits the chat model's context."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from model.embedded.reply.llm import ChatMessage

logger = logging.getLogger(__name__)

MESSAGE_OVERHEAD_TOKENS = 4  # role markers the chat template wraps around every message
# The most text one merged turn keeps (its newest part). A client may send typed items without ever asking for
# a reply; merged unbounded, that turn grew without limit and each merge copied all of it (quadratic work).
# Twice the longest typed item (client_input.MAX_TEXT_CHARS), already more than a small model's context shows.
MAX_TURN_CHARS = 8_000


@dataclass
class ConversationHistory:
    """User and assistant turns, oldest first. The system prompt is not stored: it comes per turn."""

    count_tokens: Callable[[str], int]
    context_tokens: int
    turns: list[ChatMessage] = field(default_factory=list)

    def add(self, role: str, content: str) -> ChatMessage | None:
        """Add a turn; returns it when it stands on its own (None: empty, or merged into the turn before)."""
        text = content.strip()
        if not text:
            return None  # an empty assistant turn (cancelled before any audio) leaves no trace
        if self.turns and self.turns[-1].role == role:
            # Two user turns in a row (the reply was cancelled before a word was heard): merge them,
            # chat templates expect alternating roles.
            self.turns[-1] = _joined(self.turns[-1], text)
            return None
        message = ChatMessage(role=role, content=newest_chars(text, MAX_TURN_CHARS))  # type: ignore[arg-type]
        self.turns.append(message)
        return message

    def revise(self, message: ChatMessage, content: str) -> ChatMessage | None:
        """Replace `message` (a turn `add` returned) with `content`; empty removes it, and the turns around it
        merge when they then share a role. Returns the turn now in its place (None: removed, or long gone)."""
        index = next((i for i, turn in enumerate(self.turns) if turn is message), None)
        if index is None:
            return None  # trimmed away or merged meanwhile: nothing left to revise
        text = content.strip()
        if text:
            self.turns[index] = ChatMessage(role=message.role, content=newest_chars(text, MAX_TURN_CHARS))
            return self.turns[index]
        del self.turns[index]
        if 0 < index < len(self.turns) and self.turns[index - 1].role == self.turns[index].role:
            following = self.turns.pop(index)
            self.turns[index - 1] = _joined(self.turns[index - 1], following.content)
        return None

    def last_user_text(self) -> str | None:
        for message in reversed(self.turns):
            if message.role == "user":
                return message.content
        return None

    def clear(self) -> None:
        self.turns.clear()

    def _cost(self, message: ChatMessage) -> int:
        return self.count_tokens(message.content) + MESSAGE_OVERHEAD_TOKENS

    def assistant_texts(self) -> list[str]:
        return [message.content for message in self.turns if message.role == "assistant"]

    def prompt(self, system: str, reserve_tokens: int, max_turns: int | None = None) -> list[ChatMessage]:
        """System prompt + the newest turns that fit in the context minus `reserve_tokens` for the reply.

        Oldest turns go first (and all but the newest `max_turns`, when given); the newest user turn is always kept (cut from the front if it alone is
        too long) so the model always answers what was just said.
        """
        system_message = ChatMessage(role="system", content=system)
        budget = self.context_tokens - reserve_tokens - self._cost(system_message)
        kept: list[ChatMessage] = []
        recent = self.turns if max_turns is None else self.turns[-max_turns:]
        for message in reversed(recent):
            cost = self._cost(message)
            if cost > budget:
                if not kept:
                    kept.append(self._cut_to(message, budget))
                break
            kept.append(message)
            budget -= cost
        kept.reverse()
        dropped = len(self.turns) - len(kept)  # counted against all turns: the window counts as trimming
        if dropped:
            logger.debug("history trimmed: %d old turns left out of the prompt", dropped)
        return [system_message, *kept]

    def _cut_to(self, message: ChatMessage, budget: int) -> ChatMessage:
        words = message.content.split()
        while words and self.count_tokens(" ".join(words)) + MESSAGE_OVERHEAD_TOKENS > max(budget, 8):
            words = words[len(words) // 4 or 1 :]  # drop the oldest quarter: cheap and converges fast
        return ChatMessage(role=message.role, content=" ".join(words) or message.content[-200:])


def _joined(turn: ChatMessage, text: str) -> ChatMessage:
    """`turn` with `text` appended, kept to its newest MAX_TURN_CHARS."""
    return ChatMessage(role=turn.role, content=newest_chars(f"{turn.content[-MAX_TURN_CHARS:]} {text}", MAX_TURN_CHARS))


def newest_chars(text: str, limit: int) -> str:
    """The last `limit` characters of `text`, starting at a word where there is one near the cut."""
    if len(text) <= limit:
        return text
    kept = text[-limit:]
    space = kept.find(" ", 0, 80)  # a word cut in half reads as noise; CJK text has no spaces, keep it as is
    return kept[space + 1 :] if space >= 0 else kept
