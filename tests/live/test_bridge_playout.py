"""The Live bridge as the only pacer of the embedded engine's replies, without a browser: the real bridge
(`LiveHandler`), the real engine and a real SQLite store. A reply comes whole and unpaced; the bridge shows
and saves a phrase only once its first frame has played, and after a barge-in the engine's history holds
what was played, as the saved turn does."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from model.embedded.engine import EmbeddedEngine, load_shared_models
from model.embedded.models import EmbeddedOptions
from stepaudio_ui.context import AppContext
from stepaudio_ui.live import conversations
from stepaudio_ui.live.handler import LiveHandler
from stepaudio_ui.live.pacing import OUTPUT_RATE
from stepaudio_ui.live.registry import LiveRegistry
from stepaudio_ui.live.session import LiveSelection
from tests.realtime.conftest import PERSONA_SLUG, SCENE_SLUG, make_library

pytestmark = pytest.mark.models

WAIT_S = 120.0  # a shared, slow CPU may take long to write a reply


async def until(check: Any, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def test_after_a_barge_in_only_the_played_phrases_are_shown_saved_and_kept(settings: Any) -> None:
    engine = EmbeddedEngine(models=load_shared_models(EmbeddedOptions()))
    ctx = AppContext(settings=settings, db=make_library(settings), engines={"embedded": engine})
    handler = LiveHandler(ctx, LiveRegistry())
    handler._clear_queue = lambda: None  # what fastrtc sets on a connection (nothing queued here)
    handler.session = await handler._open(
        LiveSelection(persona_slug=PERSONA_SLUG, scene_slug=SCENE_SLUG, engine="embedded")
    )
    reader = asyncio.create_task(handler._read_events(handler.session))
    try:
        assert handler.playout.client_paced
        await handler.send_text("Tell me a long story about a brave little dragon who lost his way home.")
        # Play the reply's first 0.3 s, then stall the playout (a listener who has heard only that much).
        await until(lambda: handler.reply.playing, "the reply's audio")
        while handler.reply.played < OUTPUT_RATE * 3 // 10:
            await handler.emit()
        heard = handler.open.text
        await until(lambda: handler.open.played is not None, "the reply to be written in full")
        full = handler.session.history[-1].content
        assert heard.strip() and full.replace(" ", "").startswith(heard.replace(" ", ""))
        assert len(heard.strip()) < len(full), "the unplayed phrases were shown before they were heard"
        played_ms = handler.reply.played * 1000 // OUTPUT_RATE

        await handler.send_text("Stop. What is the moon made of?")  # typed text interrupts the reply
        replies = [m.content for m in handler.session.history if m.role == "assistant"]
        assert replies[-1] == heard.strip(), f"after {played_ms} ms played the engine kept {replies[-1]!r}"
        await until(lambda: not handler._tasks, "the reply to be saved")
        with ctx.db.session() as s:
            newest = conversations.list_conversations(s, limit=1)[0]
            turns = conversations.get_conversation(s, conversation_id=newest.id).turns
        saved = [t for t in turns if t.role == "assistant"][-1]
        assert saved.interrupted and saved.text.strip() == heard.strip()
    finally:
        reader.cancel()
        await handler.shutdown()
        ctx.db.dispose()
