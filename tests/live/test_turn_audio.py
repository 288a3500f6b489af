"""Each turn's audio: marked while a conversation is recorded (real WAV files, real SQLite) and read back
per turn; and the live view's finished lines and per-turn latencies that the page shows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from model.events import SpeechStarted, SpeechStopped, TurnTimings
from stepaudio_ui.live.session import ConversationRecorder
from stepaudio_ui.live.turn_audio import MAX_CLIP_S, USER_LEAD_S, USER_TAIL_S, TurnClip, TurnMarks, read_clip
from stepaudio_ui.live.view import ConversationView, FinishedLine
from tests.live.recording import sam_session

USER_RATE, PERSONA_RATE = 16_000, 24_000


def tone(seconds: float, rate: int, amplitude: int = 8000) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * 440 * t)).astype(np.int16)


def test_clip_references_round_trip_and_refuse_anything_else() -> None:
    clip = TurnClip("persona.wav", 1.25, 3.5)
    assert clip.ref() == "persona.wav#t=1.250,3.500" and TurnClip.parse(clip.ref()) == clip
    for bad in (None, "", "persona.wav", "../user.wav#t=1,2", "/etc/passwd#t=0,1", "user.wav#t=2,1", "a.wav#t=0,1"):
        assert TurnClip.parse(bad) is None, bad


def test_marks_pair_speech_events_even_when_an_engine_renames_the_stop() -> None:
    marks = TurnMarks(USER_RATE, PERSONA_RATE)
    marks.wrote_user(USER_RATE * 10)
    # Noise that was never transcribed, then a real turn whose stop event carries another item id.
    marks.observe(SpeechStarted(audio_start_ms=500, item_id="noise"))
    marks.observe(SpeechStopped(audio_end_ms=700, item_id="noise"))
    marks.observe(SpeechStarted(audio_start_ms=2000, item_id="started"))
    marks.observe(SpeechStopped(audio_end_ms=3000, item_id="stopped"))
    clip = TurnClip.parse(marks.user_clip("stopped"))
    assert clip == TurnClip("user.wav", 2.0 - USER_LEAD_S, 3.0 + USER_TAIL_S)
    assert marks.user_clip("noise") is None  # forgotten once a later turn was claimed
    assert marks.user_clip("unknown") is None
    # The clip never runs past what was recorded.
    marks.observe(SpeechStarted(audio_start_ms=9900, item_id="late"))
    marks.observe(SpeechStopped(audio_end_ms=9990, item_id="late"))
    assert TurnClip.parse(marks.user_clip("late")).end_s == pytest.approx(10.0)


def test_a_reply_clip_spans_the_reply_frames_played_not_the_silence_around_them() -> None:
    marks = TurnMarks(USER_RATE, PERSONA_RATE)
    assert marks.reply_clip() is None  # nothing played yet
    marks.wrote_persona(PERSONA_RATE, replying=False)  # 1 s of silence between replies
    marks.wrote_persona(PERSONA_RATE // 2, replying=True)
    marks.wrote_persona(PERSONA_RATE // 2, replying=True)
    marks.wrote_persona(PERSONA_RATE, replying=False)  # cut off: silence follows before the turn is saved
    assert TurnClip.parse(marks.reply_clip()) == TurnClip("persona.wav", 1.0, 2.0)
    assert marks.reply_clip() is None  # each reply is claimed once


async def test_recorded_turns_play_back_their_own_audio(settings, tmp_path: Path) -> None:  # noqa: ANN001
    from stepaudio_ui.bootstrap import open_database
    from stepaudio_ui.live import conversations

    database = open_database(settings)
    recorder = await ConversationRecorder.start(database, settings.data_dir, sam_session(USER_RATE, PERSONA_RATE))
    # The persona greets (1.5 s), the user answers (a 1 s tone between silences), a typed line, a reply.
    recorder.write_persona_audio(np.full(int(1.5 * PERSONA_RATE), 3000, np.int16), replying=True)
    await recorder.add_turn(role="assistant", text="Hello, I am Sam.", audio=recorder.marks.reply_clip())
    for part in (np.zeros(USER_RATE, np.int16), tone(1.0, USER_RATE), np.zeros(USER_RATE, np.int16)):
        recorder.write_user_audio(part)
        recorder.write_persona_audio(np.zeros(int(len(part) * PERSONA_RATE / USER_RATE), np.int16))
    recorder.marks.observe(SpeechStarted(audio_start_ms=1000, item_id="i1"))
    recorder.marks.observe(SpeechStopped(audio_end_ms=2000, item_id="i1"))
    await recorder.add_turn(role="user", text="My router blinks.", audio=recorder.marks.user_clip("i1"))
    await recorder.add_turn(role="user", text="typed, so no audio")
    recorder.write_persona_audio(np.full(PERSONA_RATE, -4000, np.int16), replying=True)
    await recorder.add_reply(text="Let us check.", interrupted=False, timings=None)
    await recorder.finish("hung up")

    with database.session() as s:
        view = conversations.get_conversation(s, conversation_id=recorder.conversation_id)
    database.dispose()
    clips = [TurnClip.parse(turn.audio_path) for turn in view.turns]
    assert clips[2] is None  # the typed turn
    folder = recorder.audio_dir
    greeting, user, reply = (read_clip(folder, clip) for clip in (clips[0], clips[1], clips[3]))
    assert greeting[0] == PERSONA_RATE and len(greeting[1]) == int(1.5 * PERSONA_RATE) and (greeting[1] == 3000).all()
    assert reply[0] == PERSONA_RATE and len(reply[1]) == PERSONA_RATE and (reply[1] == -4000).all()
    rate, said = user
    assert rate == USER_RATE and len(said) == int((1.0 + USER_LEAD_S + USER_TAIL_S) * USER_RATE)
    lead = int(USER_LEAD_S * USER_RATE)
    assert not said[:lead].any() and np.abs(said[lead : lead + USER_RATE]).max() > 7000 and not said[-100:].any()


def test_reading_a_clip_is_bounded_and_survives_missing_files(tmp_path: Path) -> None:
    import wave

    assert read_clip(tmp_path, TurnClip("user.wav", 0.0, 1.0)) is None
    with wave.open(str(tmp_path / "user.wav"), "wb") as wav:
        wav.setnchannels(1), wav.setsampwidth(2), wav.setframerate(100)
        wav.writeframes(np.ones(int(MAX_CLIP_S * 100) + 500, "<i2").tobytes())
    rate, samples = read_clip(tmp_path, TurnClip("user.wav", 0.0, MAX_CLIP_S + 5))
    assert rate == 100 and len(samples) == int(MAX_CLIP_S * 100)
    assert read_clip(tmp_path, TurnClip("user.wav", MAX_CLIP_S + 100, MAX_CLIP_S + 200)) is None  # past the end
    (tmp_path / "persona.wav").write_bytes(b"RIFF not really")
    assert read_clip(tmp_path, TurnClip("persona.wav", 0.0, 1.0)) is None


def test_the_view_offers_each_finished_line_and_redraws_latency_only_when_a_turn_is_added() -> None:
    view = ConversationView()
    opening = view.snapshot()
    assert opening.last_finished is None and opening.latency_changed  # a new conversation clears the chart
    view.user_started()
    assert view.snapshot().last_finished is None  # "…" while the user still speaks
    view.user_said("is it raining")
    assert view.snapshot().last_finished == FinishedLine("user", "is it raining", False)
    view.assistant_started()
    view.assistant_delta("It is")
    assert view.snapshot().last_finished.role == "user"  # the reply is still being written
    view.assistant_finished(interrupted=True)
    assert view.snapshot().last_finished == FinishedLine("assistant", "It is", True)

    first = view.snapshot()
    assert not first.latency_changed and first.latencies == ()
    view.add_latency(TurnTimings(speech_end_ms=1.0, turn_decided_ms=2.0, asr_done_ms=3.0, first_audio_ms=9.0))
    added, again = view.snapshot(), view.snapshot()
    assert added.latency_changed and len(added.latencies) == 1 and not again.latency_changed
