"""Turn taking on real speech with the real Silero VAD and Smart Turn models (no session, no LLM)."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from model.audio import resample
from model.events import TurnDetection
from model.turn.turn_taking import SpeechPaused, SpeechResumed, SpeechStart, TurnEnd, TurnTaker
from model.turn.turn_timing import PAUSE_MS
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


class HeldEndOfTurn:
    """An end-of-turn model whose answer comes only when the test releases it (Smart Turn takes 25-600 ms)."""

    def __init__(self) -> None:
        self.asked = threading.Event()
        self.release = threading.Event()
        self.heard_samples: list[int] = []

    def probability_complete(self, audio_16k: np.ndarray) -> float:
        self.heard_samples.append(audio_16k.size)
        self.asked.set()
        assert self.release.wait(timeout=60), "the test never released the model"
        return 0.9


def feed_live(taker: TurnTaker, audio: np.ndarray) -> list:
    """Live pace: a 20 ms chunk every 20 ms at most (never faster than real time, as from a browser)."""
    events: list = []
    for begin in range(0, audio.size, 320):
        started = time.monotonic()
        events.extend(taker.push(audio[begin : begin + 320]))
        time.sleep(max(0.0, 0.02 - (time.monotonic() - started)))
    return events


def test_live_audio_is_not_held_up_while_the_semantic_model_thinks(embedded_models, utterances):
    """push() runs on the event loop that sends every conversation's audio: it must return while the model
    is still working, and the answer must still end the turn once it comes."""
    model = HeldEndOfTurn()
    taker = TurnTaker(embedded_models.vad_model.new_stream(), model, TurnDetection(silence_duration_ms=3_000))
    feed_live(taker, np.concatenate([silence(0.5), speech_16k(utterances["en_capital"])]))
    assert not [e for e in feed_live(taker, silence(0.6)) if isinstance(e, TurnEnd)]
    assert model.asked.is_set(), "the model was asked at the pause"
    # Every push of those 600 ms of silence returned although the model never answered: nothing waited on it.
    model.release.set()
    ends = [e for e in feed_live(taker, silence(2.0)) if isinstance(e, TurnEnd)]
    assert [e.reason for e in ends] == ["semantic"], "the model's answer ends the turn once it is ready"


class SureEndOfTurn:
    """An end-of-turn model that answers at once: every turn sounds finished."""

    def probability_complete(self, audio_16k: np.ndarray) -> float:
        return 0.9


def test_a_sure_answer_ends_the_turn_at_the_check_point_not_before(embedded_models, utterances):
    """The model is asked at the pause, but a designer's long silence setting still scales the check:
    with 2 s the check comes at 500 ms of silence (a quarter of the wait)."""
    taker = TurnTaker(embedded_models.vad_model.new_stream(), SureEndOfTurn(), TurnDetection(silence_duration_ms=2_000))
    feed(taker, np.concatenate([silence(0.5), speech_16k(utterances["en_capital"])]))
    assert not [e for e in feed(taker, silence(0.4)) if isinstance(e, TurnEnd)], "ended before the check point"
    assert [e.reason for e in feed(taker, silence(0.3)) if isinstance(e, TurnEnd)] == ["semantic"]


def test_the_semantic_model_is_asked_at_the_pause_not_at_the_check_point(embedded_models, utterances):
    """Asked at ~100 ms of silence (when the early transcript starts too), not when its answer is read, so a
    model that is slow beside Whisper, the chat model and a browser has its answer in time."""
    model = HeldEndOfTurn()
    model.release.set()
    taker = TurnTaker(embedded_models.vad_model.new_stream(), model, TurnDetection(silence_duration_ms=2_000))
    speech = np.concatenate([silence(0.5), speech_16k(utterances["en_capital"])])
    feed(taker, speech)
    ends = [e for e in feed(taker, silence(1.0)) if isinstance(e, TurnEnd)]
    assert [e.reason for e in ends] == ["semantic"]
    (asked_with,) = model.heard_samples
    trailing_ms = (asked_with - ends[0].audio_16k.size) / 16 + 100  # the turn keeps ~100 ms after the last word
    assert PAUSE_MS <= trailing_ms < PAUSE_MS + 3 * 32, f"asked after {trailing_ms:.0f} ms of silence"


def test_live_words_that_stop_mid_sentence_keep_the_turn_open(embedded_models, utterances):
    """For live audio a confident model ends the turn early only once the pause's words are known and do
    not stop mid-sentence ("... about a"); then the turn waits for the whole silence."""
    detection = TurnDetection(silence_duration_ms=1_500)  # long enough that no machine is too slow for it
    speech = np.concatenate([silence(0.5), speech_16k(utterances["en_capital"])])
    reasons = {}
    for words in ("Tell me a story about a", "What is the capital city of France?", None):
        taker = TurnTaker(embedded_models.vad_model.new_stream(), SureEndOfTurn(), detection, checks_words=True)
        feed_live(taker, speech)
        events: list = []
        quiet = silence(2.0)
        for begin in range(0, quiet.size, 320):
            started = time.monotonic()
            for event in taker.push(quiet[begin : begin + 320]):
                events.append(event)
                if isinstance(event, SpeechPaused) and words is not None:
                    taker.words_heard(words)  # the early transcript, as the session hands it over
            time.sleep(max(0.0, 0.02 - (time.monotonic() - started)))
        reasons[words] = [e.reason for e in events if isinstance(e, TurnEnd)]
    assert reasons["Tell me a story about a"] == ["silence"]
    assert reasons["What is the capital city of France?"] == ["semantic"]
    assert reasons[None] == ["silence"], "without its words, live audio is not ended early"
