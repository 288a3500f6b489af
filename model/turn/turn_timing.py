"""How long the floor is held: the turn-taker's frame counts, pauses and silence waits.

The silence wait comes from the session's `turn_detection.silence_duration_ms`. When a semantic model
is loaded, a turn may end before that wait, from the pause on (~100 ms of silence) or a quarter of the wait
if that is later, once the end-of-turn model is confident the sentence is finished AND, for live audio, the
pause's early transcript (`words_heard`) does not stop on a word that needs another after it
(`turn_words`): Smart Turn hears intonation only, and called a pause after "about a" or "call my" finished.
Both answers are started at the pause, so a finished question ends ~200 ms into the silence (the words
cost no time on the reply's path: the reply needs that transcript anyway). With `type: semantic_vad`, an
unfinished-sounding sentence also gets a longer wait (up to 2x), so slow speakers are not cut off.

Used by the turn-taker (model/turn/turn_taking.py) and by the bench's floor, which replays its decisions.
"""

from __future__ import annotations

from model.events import TurnDetection

SAMPLE_RATE = 16_000
START_FRAMES = 3  # ~96 ms of voiced frames before we call it speech: a click or a cough is not a turn
# Silence after which the turn's audio is offered for early (speculative) transcription and the end-of-turn
# model is asked: three VAD frames. Two (64 ms) gave the words ~30 ms sooner, but Smart Turn, hearing less
# of the silence, then called "Can you give me one tip" (a 290 ms gap inside a bench question) finished.
PAUSE_MS = 96
TAIL_SAMPLES = SAMPLE_RATE // 10  # the silence kept after the last word (see `TurnTaker._turn_audio`)
# A confident end-of-turn answer may end the turn from this share of the silence wait on (at least the
# pause): at the default 500 ms, from 125 ms. A designer's longer wait (a calm scene) still delays it.
SEMANTIC_CHECK_FRACTION = 0.25
SEMANTIC_CHECK_MIN_MS = PAUSE_MS
SEMANTIC_CONFIDENT = 0.5
# The semantic model is asked at the pause and its answer applied at the check point (see the module doc).
SEMANTIC_ASK_MS = PAUSE_MS
MAX_TURN_SECONDS = 28.0  # Whisper reads 30 s windows; a longer monologue is cut into turns
SEMANTIC_WINDOW = 8 * SAMPLE_RATE  # Smart Turn looks at the last 8 s
AHEAD_SLACK_MS = 200  # audio this far ahead of the wall clock is not live (see TurnTaker._ahead_of_clock)


def semantic_check_ms(detection: TurnDetection) -> float:
    """Silence after which a confident end-of-turn answer may end the turn, for these settings."""
    return max(SEMANTIC_CHECK_MIN_MS, SEMANTIC_CHECK_FRACTION * detection.silence_duration_ms)


def extended_wait_ms(detection: TurnDetection) -> float:
    """The silence wait after an unfinished-sounding pause: longer with `semantic_vad`, else the setting."""
    if detection.type == "semantic_vad":
        return min(3_000.0, detection.silence_duration_ms * 2.0)
    return float(detection.silence_duration_ms)
