"""What several engine tests check the same way: the events of one spoken turn, in order, and reading
an engine session's events up to a given one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from model.events import ServerEvent

# One spoken turn, as every engine and service reports it (the first of each kind, in this order).
AUDIO_TURN_ORDER = [
    "input_audio_buffer.speech_started",
    "input_audio_buffer.speech_stopped",
    "input_audio_buffer.committed",
    "conversation.item.input_audio_transcription.completed",
    "response.created",
    "response.audio_transcript.delta",
    "response.audio.delta",
    "response.audio.done",
    "response.audio_transcript.done",
    "response.done",
]


def first_positions(kinds: list[str], wanted: list[str]) -> list[int]:
    return [kinds.index(kind) for kind in wanted]


async def until(
    events: AsyncIterator[ServerEvent], wanted: str, seen: list[ServerEvent], timeout_s: float = 10.0
) -> ServerEvent:
    """Read events into `seen` until one of type `wanted` arrives (which is returned)."""

    async def loop() -> ServerEvent:
        async for event in events:
            seen.append(event)
            if event.type == wanted:
                return event
        raise AssertionError(f"events ended before {wanted}: {[e.type for e in seen]}")

    return await asyncio.wait_for(loop(), timeout_s)
