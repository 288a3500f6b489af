"""Turn taking on real speech with the real Silero VAD and Smart Turn models (no session, no LLM)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from model.embedded.audio import resample
from model.embedded.turn_taking import SpeechPaused, SpeechResumed, SpeechStart, TurnEnd, TurnTaker
from model.events import TurnDetection
from stepaudio_ui.bench.utterances import trim_silence

pytestmark = pytest.mark.models


def speech_16k(utterance) -> np.ndarray:
    return resample(trim_silence(utterance.audio), 24_000, 16_000)


def feed(taker: TurnTaker, audio: np.ndarray, chunk: int = 320) -> list:
    events = []
    for begin in range(0, audio.size, chunk):
        events.extend(taker.push(audio[begin : begin + chunk]))
    return events


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(16_000 * seconds), dtype=np.float32)


def turn_events(events: list) -> list:
    """Starts and ends only (pauses are offered along the way for early transcription)."""
    return [event for event in events if isinstance(event, (SpeechStart, TurnEnd))]


def test_noise_is_not_speech(embedded_models):
    taker = TurnTaker(embedded_models.vad_model.new_stream(), embedded_models.turn_model, TurnDetection())
    noise = np.random.default_rng(7).normal(0, 0.05, 16_000 * 3).astype(np.float32)
    assert feed(taker, noise) == []


def test_a_question_is_one_turn_with_padding_and_positions(embedded_models, utterances):
    taker = TurnTaker(embedded_models.vad_model.new_stream(), None, TurnDetection(silence_duration_ms=500))
    speech = speech_16k(utterances["en_capital"])
    events = turn_events(feed(taker, np.concatenate([silence(1.0), speech, silence(1.0)])))
    assert [type(e) for e in events] == [SpeechStart, TurnEnd]
    start, end = events
    assert 800 <= start.audio_start_ms <= 1_150  # speech begins at 1.0 s in the stream
    assert end.reason == "silence"
    assert abs(end.audio_end_ms - (1_000 + speech.size / 16)) < 250
    # The turn's audio holds the whole utterance plus ~300 ms of padding before it.
    assert speech.size <= end.audio_16k.size <= speech.size + 16_000 * 0.6


def test_silence_wait_follows_the_setting(embedded_models, utterances):
    speech = speech_16k(utterances["en_capital"])
    for wait_ms in (300, 1_200):
        taker = TurnTaker(embedded_models.vad_model.new_stream(), None, TurnDetection(silence_duration_ms=wait_ms))
        feed(taker, np.concatenate([silence(0.5), speech]))
        quiet = feed(taker, silence(wait_ms / 1000 - 0.15))
        assert [type(e) for e in quiet] == [SpeechPaused], f"turn ended before {wait_ms} ms of silence"
        assert [type(e) for e in feed(taker, silence(0.3))] == [TurnEnd]


def test_semantic_model_ends_a_finished_question_early(embedded_models, utterances):
    if embedded_models.turn_model is None:
        pytest.skip("Smart Turn is not installed")
    speech = speech_16k(utterances["en_capital"])
    taker = TurnTaker(
        embedded_models.vad_model.new_stream(), embedded_models.turn_model, TurnDetection(silence_duration_ms=1_500)
    )
    events = feed(taker, np.concatenate([silence(0.5), speech, silence(1.0)]))
    ends = [e for e in events if isinstance(e, TurnEnd)]
    assert len(ends) == 1 and ends[0].reason == "semantic", ends


def test_clear_forgets_a_turn_in_progress(embedded_models, utterances):
    taker = TurnTaker(embedded_models.vad_model.new_stream(), None, TurnDetection())
    speech = speech_16k(utterances["en_capital"])
    assert any(isinstance(e, SpeechStart) for e in feed(taker, speech[: speech.size // 2]))
    taker.clear()
    assert not taker.in_speech
    assert feed(taker, silence(1.0)) == []
    assert taker.commit() is None


def test_a_pause_offers_the_same_audio_the_turn_ends_with(embedded_models, utterances):
    """The early transcript is only reused when the turn ends at that pause, so the pause must carry
    exactly the audio the end of the turn carries."""
    taker = TurnTaker(embedded_models.vad_model.new_stream(), None, TurnDetection(silence_duration_ms=600))
    speech = speech_16k(utterances["en_capital"])
    events = feed(taker, np.concatenate([silence(0.5), speech, silence(1.0)]))
    pauses = [e for e in events if isinstance(e, SpeechPaused)]
    resumed = [e for e in events if isinstance(e, SpeechResumed)]
    (end,) = [e for e in events if isinstance(e, TurnEnd)]
    assert len(pauses) == len(resumed) + 1  # every pause inside the question was followed by more speech
    last_pause = pauses[-1]
    assert events.index(last_pause) < events.index(end)
    assert abs(last_pause.audio_16k.size - end.audio_16k.size) <= 16_000 * 0.05
    shared = min(last_pause.audio_16k.size, end.audio_16k.size)
    assert np.array_equal(last_pause.audio_16k[:shared], end.audio_16k[:shared])


def test_speech_after_a_pause_resumes_the_same_turn(embedded_models, utterances):
    taker = TurnTaker(embedded_models.vad_model.new_stream(), None, TurnDetection(silence_duration_ms=800))
    speech = speech_16k(utterances["en_capital"])
    events = feed(taker, np.concatenate([silence(0.5), speech, silence(0.3), speech, silence(1.2)]))
    kinds = [type(e) for e in events]
    assert kinds.count(SpeechStart) == 1 and kinds.count(TurnEnd) == 1
    assert SpeechResumed in kinds
    (end,) = [e for e in events if isinstance(e, TurnEnd)]
    assert end.audio_16k.size >= 2 * speech.size  # both halves belong to the one turn


class SlowSureEndOfTurn:
    """An end-of-turn model that takes 300 ms to be sure the turn is over (Smart Turn takes 25-200 ms)."""

    def probability_complete(self, audio_16k: np.ndarray) -> float:
        time.sleep(0.3)
        return 0.9


def test_live_audio_is_not_held_up_while_the_semantic_model_thinks(embedded_models, utterances):
    taker = TurnTaker(
        embedded_models.vad_model.new_stream(), SlowSureEndOfTurn(), TurnDetection(silence_duration_ms=1_500)
    )
    feed(taker, np.concatenate([silence(0.5), speech_16k(utterances["en_capital"])]))
    slowest_push_s, ends = 0.0, []
    quiet = silence(1.2)
    for begin in range(0, quiet.size, 320):  # live pace: a 20 ms frame every 20 ms, as from a browser
        started = time.monotonic()
        ends += [e for e in taker.push(quiet[begin : begin + 320]) if isinstance(e, TurnEnd)]
        slowest_push_s = max(slowest_push_s, time.monotonic() - started)
        time.sleep(max(0.0, 0.02 - (time.monotonic() - started)))
    # The event loop that calls push() also sends every conversation's audio: it must not wait 300 ms.
    assert slowest_push_s < 0.15, f"push() blocked {slowest_push_s * 1000:.0f} ms on the end-of-turn model"
    assert [e.reason for e in ends] == ["semantic"], "the model's answer still ends the turn once it is ready"


class SureEndOfTurn:
    """An end-of-turn model that answers at once: every turn sounds finished."""

    def probability_complete(self, audio_16k: np.ndarray) -> float:
        return 0.9


def test_a_sure_answer_ends_the_turn_at_the_check_point_not_before(embedded_models, utterances):
    """The model is asked at the pause, but a designer's long silence setting still scales the check:
    with 1.5 s the check comes at 600 ms of silence."""
    taker = TurnTaker(embedded_models.vad_model.new_stream(), SureEndOfTurn(), TurnDetection(silence_duration_ms=1_500))
    feed(taker, np.concatenate([silence(0.5), speech_16k(utterances["en_capital"])]))
    assert not [e for e in feed(taker, silence(0.5)) if isinstance(e, TurnEnd)], "ended before the check point"
    assert [e.reason for e in feed(taker, silence(0.3)) if isinstance(e, TurnEnd)] == ["semantic"]


def test_the_semantic_model_is_asked_at_the_pause_so_its_answer_is_ready_at_the_check_point(
    embedded_models, utterances
):
    """A model that needs 300 ms (Smart Turn beside Whisper, the chat model and a browser on 2 cores took
    300-400 ms) asked at the check point (280 ms for a 700 ms wait) would end the turn ~580 ms into the
    silence; asked at the pause (~100 ms), its answer is in by ~400 ms."""
    taker = TurnTaker(
        embedded_models.vad_model.new_stream(), SlowSureEndOfTurn(), TurnDetection(silence_duration_ms=700)
    )
    feed(taker, np.concatenate([silence(0.5), speech_16k(utterances["en_capital"])]))
    ends: list[TurnEnd] = []
    quiet = silence(1.0)
    for begin in range(0, quiet.size, 320):  # live pace, as from a browser
        started = time.monotonic()
        ends += [e for e in taker.push(quiet[begin : begin + 320]) if isinstance(e, TurnEnd)]
        time.sleep(max(0.0, 0.02 - (time.monotonic() - started)))
    (end,) = ends
    waited_ms = end.decided_wall_ms - end.speech_end_wall_ms
    assert end.reason == "semantic"
    assert waited_ms < 520, f"the turn was decided {waited_ms:.0f} ms into the silence"
