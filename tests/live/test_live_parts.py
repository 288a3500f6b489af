"""The live bridge's parts without a browser: framing and flushing of reply audio, pacing, the view,
the selection the page sends, and a recorded conversation's exports (real SQLite, real WAV files)."""

from __future__ import annotations

import asyncio
import json
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from model.events import SessionConfig, TurnTimings
from stepaudio_ui.live.history_export import export_files, transcript_markdown
from stepaudio_ui.live.pacing import FRAME_SAMPLES, RealTimePacer, ReplyAudio
from stepaudio_ui.live.session import (
    ConversationRecorder,
    LiveSelection,
    ResolvedSession,
    resolve_session,
    selection_from_args,
)
from stepaudio_ui.live.view import ConversationView, latency_from_timings
from stepaudio_ui.studio.specs import NO_SCENE
from stepaudio_ui.ui.live_latency import caption, latency_frame


def test_reply_audio_is_cut_into_whole_frames_and_flushed_at_once() -> None:
    reply = ReplyAudio()
    reply.push(np.arange(FRAME_SAMPLES * 2 + 100, dtype=np.int16))
    first = reply.pop()
    assert first is not None and len(first) == FRAME_SAMPLES and first[0] == 0
    reply.push(np.ones(FRAME_SAMPLES, dtype=np.int16))
    assert reply.playing
    assert reply.clear() == 2  # the second whole frame and the one completed by the push
    assert not reply.playing and reply.pop() is None


def test_reply_audio_pads_the_tail_of_a_reply() -> None:
    reply = ReplyAudio()
    reply.push(np.full(10, 7, dtype=np.int16))
    tail = reply.pop()
    assert tail is not None and len(tail) == FRAME_SAMPLES
    assert (tail[:10] == 7).all() and (tail[10:] == 0).all()


async def test_pacer_releases_frames_at_real_time_not_all_at_once() -> None:
    pacer = RealTimePacer(frame_s=0.02, lead_s=0.04)
    started = time.monotonic()
    for _ in range(26):
        await pacer.wait()
    # 26 frames = 0.52 s of audio; less the 40 ms lead, it cannot be released before ~0.46 s. A lower bound
    # only: a busy machine makes the waits longer, never shorter, so load cannot fail this test.
    assert time.monotonic() - started >= 0.44


def test_selection_from_fastrtc_args_with_and_without_the_marker() -> None:
    args = ["__webrtc_value__", "abc123", "sam-support", "published", "support-desk", 2, "embedded"]
    selection = selection_from_args(args)
    assert selection == LiveSelection(
        persona_slug="sam-support", persona_version=None, scene_slug="support-desk", scene_version=2, engine="embedded"
    )
    assert selection_from_args(args[1:]) == selection
    with pytest.raises(ValueError, match="persona_slug"):
        selection_from_args(["id", None, None, "support-desk", None, "embedded"])


def test_latency_stages_and_chart() -> None:
    timings = TurnTimings(
        speech_end_ms=1000.0,
        turn_decided_ms=1300.0,
        asr_done_ms=1450.0,
        llm_first_token_ms=1650.0,
        first_audio_ms=1800.0,
    )
    latency = latency_from_timings(1, timings)
    assert latency is not None and latency.stages == (300.0, 150.0, 200.0, 150.0) and latency.total_ms == 800.0
    assert latency_from_timings(1, TurnTimings(speech_end_ms=1000.0)) is None  # no audio yet: nothing to chart
    greeting = TurnTimings(speech_end_ms=1000.0, first_audio_ms=1500.0)
    assert latency_from_timings(1, greeting) is None  # nobody spoke: not a turn to chart
    frame = latency_frame([latency])
    assert list(frame.itertuples(index=False, name=None)) == [
        ("T1", "turn decision", 300),
        ("T1", "ASR", 150),
        ("T1", "first LLM token", 200),
        ("T1", "first audio", 150),
    ]
    assert caption([latency]).startswith("Turn 1: 800 ms from the end of your speech")
    assert latency_frame([]).empty and "after the first spoken turn" in caption([])


def test_view_marks_an_interrupted_reply() -> None:
    view = ConversationView()
    view.user_started()
    view.user_said("hello there")
    view.assistant_started()
    view.assistant_delta("Hi!")
    view.assistant_delta(" How can")
    view.mark_interrupted()
    view.assistant_finished(interrupted=True)
    messages = view.snapshot().messages
    assert messages[0] == {"role": "user", "content": "hello there"}
    assert messages[1]["role"] == "assistant" and messages[1]["content"].startswith("Hi! How can")
    assert messages[1]["content"].endswith("(interrupted)")


@pytest.fixture
def database(settings):  # noqa: ANN001, ANN201 - Settings in, Database out
    from stepaudio_ui.bootstrap import open_database

    return open_database(settings)


async def test_recorded_conversation_exports_wav_json_markdown(database, settings, tmp_path: Path) -> None:  # noqa: ANN001
    from stepaudio_ui.live import conversations
    from stepaudio_ui.studio import library as studio

    with database.session() as s:
        persona = studio.get_default_version(s, kind="persona", slug="sam-support")
        scene = studio.get_default_version(s, kind="scene", slug="support-desk")
    resolved = ResolvedSession(
        selection=LiveSelection(persona_slug="sam-support", scene_slug="support-desk", engine="embedded"),
        persona_version=persona.number,
        scene_version=scene.number,
        persona_name="Sam",
        config=SessionConfig(input_sample_rate=16_000, output_sample_rate=24_000),
    )
    recorder = await ConversationRecorder.start(database, settings.data_dir, resolved)
    recorder.write_user_audio(np.full(16_000, 1000, dtype=np.int16))  # 1 s of "user"
    recorder.write_persona_audio(np.full(12_000, -2000, dtype=np.int16))  # 0.5 s of "persona"
    await recorder.add_turn(role="user", text="Is my router broken?")
    timings = TurnTimings(speech_end_ms=1.0, first_audio_ms=700.0)
    await recorder.add_turn(role="assistant", text="Let us check it together.", interrupted=True, timings=timings)
    await recorder.finish("hung up")

    with database.session() as s:
        view = conversations.get_conversation(s, conversation_id=recorder.conversation_id)
    files = export_files(settings.data_dir, view, tmp_path / "out")
    wav_path, json_path, md_path = files
    with wave.open(str(wav_path)) as wav:
        assert (wav.getnchannels(), wav.getframerate()) == (2, 24_000)
        frames = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, 2)
    assert len(frames) == 24_000  # the user's second, resampled to the persona's rate
    assert abs(int(frames[100, 0]) - 1000) <= 1 and frames[100, 1] == -2000 and frames[20_000, 1] == 0
    record = json.loads(json_path.read_text())
    assert record["persona"] == {"slug": "sam-support", "version": persona.number}
    assert [turn["role"] for turn in record["turns"]] == ["user", "assistant"]
    assert record["turns"][1]["interrupted"] is True and record["turns"][1]["timings"]["first_audio_ms"] == 700.0
    markdown = md_path.read_text()
    assert "**User**: Is my router broken?" in markdown and "_(interrupted)_" in markdown
    assert markdown == transcript_markdown(view)
    assert record["end_reason"] == "hung up"


async def test_no_scene_tone_is_composed_without_scene_text_and_recorded_as_none(database, settings) -> None:  # noqa: ANN001
    from stepaudio_ui.live import conversations

    selection = selection_from_args(["id", "sam-support", "published", NO_SCENE, "published", "embedded"])
    assert (selection.scene_slug, selection.scene_version) == (None, None)
    resolved = resolve_session(database, selection, input_sample_rate=16_000, output_sample_rate=24_000)
    assert resolved.scene_version is None
    assert "You are Sam." in (resolved.config.instructions or "") and "Scene:" not in (
        resolved.config.instructions or ""
    )
    recorder = await ConversationRecorder.start(database, settings.data_dir, resolved)
    await recorder.finish("hung up")
    with database.session() as s:
        summary = conversations.get_conversation(s, conversation_id=recorder.conversation_id).summary
    assert (summary.persona_slug, summary.scene_slug, summary.scene_version) == ("sam-support", None, None)


async def test_recorder_keeps_going_when_a_turn_cannot_be_saved(database, settings) -> None:  # noqa: ANN001
    resolved = ResolvedSession(
        selection=LiveSelection(persona_slug="sam-support", scene_slug="support-desk", engine="embedded"),
        persona_version=1,
        scene_version=1,
        persona_name="Sam",
        config=SessionConfig(input_sample_rate=16_000, output_sample_rate=24_000),
    )
    recorder = await ConversationRecorder.start(database, settings.data_dir, resolved)
    await recorder.add_turn(role="narrator", text="not a role")  # refused by the store: logged, not raised
    await recorder.add_turn(role="user", text="still here")
    await recorder.finish("hung up")
    await asyncio.sleep(0)
    from stepaudio_ui.live import conversations

    with database.session() as s:
        view = conversations.get_conversation(s, conversation_id=recorder.conversation_id)
    assert [turn.text for turn in view.turns] == ["still here"]


def test_playout_figures_are_per_sample_averages_of_chromes_totals() -> None:
    from stepaudio_ui.bench.live_receiver import Playout

    inbound = {
        "jitterBufferDelay": 96_000.0,  # seconds, summed over every sample played (200 ms each)
        "jitterBufferTargetDelay": 48_000.0,
        "jitterBufferEmittedCount": 480_000,  # 10 s at 48 kHz
        "concealmentEvents": 3,
    }
    playout = Playout.from_inbound(inbound)
    assert (playout.mean_delay_ms, playout.target_delay_ms, playout.concealment_events) == (200.0, 100.0, 3)
    assert Playout.from_inbound(None) == Playout(None, None, None)  # nothing received yet
