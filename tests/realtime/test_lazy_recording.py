"""What a /v1/realtime connection leaves in the history: nothing until it has content (a client that connects,
configures and hangs up, or idles, leaves no row and no files), then the conversation as before; and a
conversation with no persona (the client instructs a plain assistant) is recorded too. Real uvicorn socket,
real embedded engine, raw `websockets` clients."""

from __future__ import annotations

import asyncio
import json
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from websockets.asyncio.client import ClientConnection, connect

from model.embedded.reply.brains import DEFAULT_BRAIN_ID
from model.events import DEFAULT_SAMPLE_RATE, encode_pcm16
from stepaudio_ui.live import conversations
from stepaudio_ui.live.session import PERSONA_WAV, USER_WAV, conversation_audio_dir
from tests.realtime.conftest import PERSONA_SLUG, SCENE_SLUG, RunningServer, audio_chunks, next_event, speech_24k

pytestmark = pytest.mark.models

TIMEOUT_S = 60.0
QUIET_LEAD_S = 2.0  # near-silence a client sends before it speaks


async def _until_idle(server: RunningServer) -> None:
    deadline = asyncio.get_running_loop().time() + TIMEOUT_S
    while server.app.state.realtime.active:
        assert asyncio.get_running_loop().time() < deadline, "the session was never closed"
        await asyncio.sleep(0.05)


def _recorded(server: RunningServer) -> list[conversations.ConversationView]:
    with server.ctx.db.session() as s:
        found = conversations.list_conversations(s)
        return [conversations.get_conversation(s, conversation_id=c.id) for c in reversed(found)]


def _files(server: RunningServer) -> list[Path]:
    return sorted(path for path in Path(server.ctx.settings.data_dir).rglob("*") if path.is_file())


async def _configure(ws: ClientConnection) -> None:
    await next_event(ws, "session.created")
    await ws.send(json.dumps({"type": "session.update", "session": {"instructions": "Answer in one sentence."}}))
    await next_event(ws, "session.updated")


async def _say(ws: ClientConnection, text: str) -> dict[str, Any]:
    """A typed user turn and the reply to it (its response.done event)."""
    item = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
    await ws.send(json.dumps({"type": "conversation.item.create", "item": item}))
    await ws.send(json.dumps({"type": "response.create"}))
    return await asyncio.wait_for(next_event(ws, "response.done"), TIMEOUT_S)


async def test_a_client_that_configures_and_hangs_up_leaves_nothing(fast_server: RunningServer) -> None:
    before = _files(fast_server)  # the library's own database files
    quiet = encode_pcm16(np.full(2_400, 3, dtype=np.int16))  # 100 ms of an idle microphone's near-silence
    for model in (PERSONA_SLUG, None):
        url = f"{fast_server.url}?model={model}" if model else fast_server.url
        async with connect(url) as ws:
            await _configure(ws)
            for _ in range(5):
                await ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": quiet}))
            await ws.send(json.dumps({"type": "session.update", "session": {"instructions": "Still there?"}}))
            await next_event(ws, "session.updated")
        await _until_idle(fast_server)
    assert _recorded(fast_server) == []
    assert _files(fast_server) == before
    assert not (Path(fast_server.ctx.settings.data_dir) / "conversations").exists()


async def test_speaking_starts_the_recording_with_a_short_lead_in(fast_server: RunningServer, tmp_path: Path) -> None:
    speech = speech_24k("Which clock is the oldest?", tmp_path)
    lead = np.full(int(QUIET_LEAD_S * DEFAULT_SAMPLE_RATE), 3, dtype=np.int16)
    async with connect(f"{fast_server.url}?model={PERSONA_SLUG}") as ws:
        await _configure(ws)
        for chunk in audio_chunks(np.concatenate([lead, speech]), trailing_silence_ms=800):
            await ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": chunk}))
        heard = await asyncio.wait_for(
            next_event(ws, "conversation.item.input_audio_transcription.completed"), TIMEOUT_S
        )
        done = await asyncio.wait_for(next_event(ws, "response.done"), TIMEOUT_S)
    await _until_idle(fast_server)
    (view,) = _recorded(fast_server)
    summary = view.summary
    assert (summary.persona_slug, summary.persona_version, summary.scene_slug) == (PERSONA_SLUG, 1, SCENE_SLUG)
    assert [(t.role, t.text) for t in view.turns][:1] == [("user", heard["transcript"].strip())]
    assert done["response"]["status"] == "completed" and view.turns[-1].role == "assistant"
    folder = conversation_audio_dir(fast_server.ctx.settings.data_dir, summary.id)
    with wave.open(str(folder / USER_WAV)) as wav:
        recorded_s = wav.getnframes() / wav.getframerate()
    speech_s = speech.size / DEFAULT_SAMPLE_RATE
    # all of the speech and its trailing silence, but at most half a second of the quiet lead-in
    assert speech_s + 0.7 <= recorded_s <= speech_s + 0.8 + 0.6, (recorded_s, speech_s)
    assert (folder / PERSONA_WAV).stat().st_size > 44 + DEFAULT_SAMPLE_RATE * 2 * 0.3


async def test_a_conversation_without_a_persona_is_recorded_with_its_turns(fast_server: RunningServer) -> None:
    from stepaudio_ui.ui.history_panel import conversation_rows

    async with connect(fast_server.url) as ws:  # no ?model=, no default persona: the client instructs
        await _configure(ws)
        done = await _say(ws, "Name one planet.")
    await _until_idle(fast_server)
    reply = done["response"]["output"][0]["content"][0]["transcript"]
    (view,) = _recorded(fast_server)
    summary = view.summary
    assert (summary.persona_slug, summary.persona_version, summary.scene_slug, summary.scene_version) == (
        None,
        None,
        None,
        None,
    )
    assert (summary.engine, summary.brain, summary.end_reason) == ("embedded", DEFAULT_BRAIN_ID, "client hung up")
    assert [(t.role, t.text) for t in view.turns] == [("user", "Name one planet."), ("assistant", reply.strip())]
    rows, choices = conversation_rows(fast_server.ctx)  # the History tab's table and picker
    assert rows[0][2] == "no persona (client instructions)" and rows[0][3] == "-"
    assert "no persona (client instructions)" in choices[0][0]
