"""The ratios of a `bench live` run: what the ear got against the floor, and barge-in against the VAD.

- The floor (`floor`) of each answered turn, timed alone on the app's own models after the conversation:
  the question clip the page spoke, what the engine heard, the conversation before it (from the store),
  and the first phrase of its reply, under the composed persona x scene config of that conversation.
  The browser's end of speech -> audible reply over it adds what WebRTC and Chrome's jitter buffer cost.
- The VAD's own detection time on the same clips: how much of each question the turn taker must hear
  before it says "speech started" (the real Silero VAD and the scene's turn detection, the clip at 16 kHz).
  A barge-in cannot stop the reply sooner than that on the server; the page itself mutes the reply from
  its own microphone (see README, Barge-in in the browser), so the browser's stop may come earlier.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from model.audio import int16_to_float, resample
from model.embedded.engine import shared_models
from model.events import SessionConfig, TurnDetection
from model.turn.turn_taking import SpeechStart, TurnTaker
from stepaudio_ui.bench.first_chunk import first_phrase
from stepaudio_ui.bench.floor import FloorStages, FloorTimer
from stepaudio_ui.bench.live_browser import MIC_RATE
from stepaudio_ui.bench.utterances import SAMPLE_RATE, error_units

logger = logging.getLogger(__name__)

VAD_RATE = 16_000
VAD_PUSH = 320  # 20 ms, as a client sends it


def vad_detection_ms(models: Any, clip_int16: np.ndarray, detection: TurnDetection) -> float | None:
    """Milliseconds of the clip (from its first sample) the turn taker hears before it reports speech."""
    taker = TurnTaker(models.vad_model.new_stream(), None, detection)
    audio = resample(int16_to_float(clip_int16), MIC_RATE, VAD_RATE).astype(np.float32)
    for begin in range(0, audio.size, VAD_PUSH):
        if any(isinstance(event, SpeechStart) for event in taker.push(audio[begin : begin + VAD_PUSH])):
            return (begin + VAD_PUSH) * 1000 / VAD_RATE
    return None


def _closest_clip(transcript: str, questions: dict[str, str]) -> str:
    """The clip whose question the transcript is nearest to (word errors)."""
    return min(questions, key=lambda name: error_units(questions[name], transcript, "en")[0])


def conversation_config(ctx: Any, view: Any) -> SessionConfig:
    """The session config the conversation ran with: its persona and scene versions, composed."""
    from stepaudio_ui.live.session import LiveSelection, resolve_session

    summary = view.summary
    selection = LiveSelection(
        persona_slug=summary.persona_slug,
        persona_version=summary.persona_version,
        scene_slug=summary.scene_slug,
        scene_version=summary.scene_version,
        engine="embedded",
    )
    return resolve_session(ctx.db, selection, input_sample_rate=MIC_RATE, output_sample_rate=SAMPLE_RATE).config


def live_floors(
    ctx: Any, view: Any, config: SessionConfig, clips: dict[str, np.ndarray], questions: dict[str, str]
) -> list[FloorStages]:
    """The floor of every answered spoken turn of the conversation `view` (see the module doc)."""
    engine = ctx.engines["embedded"]
    timer = FloorTimer(shared_models(engine.models, engine.options), config)
    floors: list[FloorStages] = []
    before: list[tuple[str, str]] = []
    turns = list(view.turns)
    for index, turn in enumerate(turns):
        answer = turns[index + 1] if index + 1 < len(turns) else None
        answered = turn.role == "user" and answer is not None and answer.role == "assistant" and answer.text
        if answered and (answer.timings or {}).get("first_audio_ms"):
            clip = clips[_closest_clip(turn.text, questions)]
            speech_24k = resample(int16_to_float(clip), MIC_RATE, SAMPLE_RATE)
            floors.append(
                timer.stages(
                    speech_24k,
                    language="en",
                    transcript=turn.text,
                    history=before,
                    first_phrase=first_phrase(answer.text),
                )
            )
        before.append((turn.role, turn.text))
    return floors
