"""The small Protocol every voice engine implements (embedded, StepFun / OpenAI realtime, GPU).

An engine opens sessions; a session takes client events and yields server events. Nothing here
imports gradio or the studio: `model/` is usable on its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from model.events import ClientEvent, ServerEvent, SessionConfig


@dataclass(frozen=True)
class Availability:
    """Whether an engine can be used here, and if not, why (shown in the engine picker)."""

    usable: bool
    reason: str = ""


@dataclass(frozen=True)
class VoiceInfo:
    """One voice an engine offers, with its provenance (shown on the persona's voice card)."""

    id: str
    name: str
    languages: tuple[str, ...]
    description: str
    model: str
    license: str
    source: str
    consent: str = "not applicable: synthetic voice, no single human speaker on record"


@runtime_checkable
class EngineSession(Protocol):
    async def send(self, event: ClientEvent) -> None:
        """Hand one client event to the session. Never raises for bad input: emits `error`."""

    def events(self) -> AsyncIterator[ServerEvent]:
        """Server events, in order, until the session is closed."""

    async def close(self) -> None:
        """Stop everything in flight and free the session's resources. Idempotent."""


@runtime_checkable
class Engine(Protocol):
    name: str

    def availability(self) -> Availability: ...

    def voices(self) -> list[VoiceInfo]: ...

    async def open_session(self, config: SessionConfig) -> EngineSession:
        """Open a session already configured with `config` (emits `session.created` first)."""
