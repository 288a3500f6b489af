"""One voice's part of `bench engine`: the turns, fastrtc's ReplyOnPause beside them, and the stages alone.

With `--baseline` (one session), each utterance is spoken to our engine and then to the baseline before
the next one, so both meet the same moments of a shared machine's load. Afterwards, on the idle models,
every answered turn is replayed stage by stage (`floor`) and its first chunk is set against the opening
phrase of before (`first_chunk`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from model.embedded.shared import SharedModels
from model.protocol import Engine
from stepaudio_ui.bench.baseline import BaselineConversation, BaselineTurn
from stepaudio_ui.bench.engine_turns import HeardTurn, SpokenTurnDriver
from stepaudio_ui.bench.first_chunk import FirstChunk, compare_first_chunk
from stepaudio_ui.bench.floor import FloorStages, FloorTimer
from stepaudio_ui.bench.turn_state import TurnResult
from stepaudio_ui.bench.utterances import Utterance

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class VoiceSetup:
    """How the turns of a run are spoken and answered."""

    silence_ms: int
    max_sentences: int
    sessions: int = 1
    same_clock: bool = True
    baseline: bool = False


@dataclass
class VoiceRun:
    voice: str | None  # None: the engine's default voice
    turns: list[TurnResult] = field(default_factory=list)
    heard: list[HeardTurn] = field(default_factory=list)  # session 0's turns, for the figures timed alone
    baseline: list[BaselineTurn] = field(default_factory=list)
    floors: list[FloorStages | None] = field(default_factory=list)  # per turn of `heard`
    first_chunks: list[FirstChunk] = field(default_factory=list)


async def run_voice(
    engine: Engine,
    utterances: list[Utterance],
    voice: str | None,
    setup: VoiceSetup,
    shared: SharedModels | None,
) -> VoiceRun:
    """The turns of one voice; with `shared` (the embedded engine's models) also its floor, first chunks
    and, when asked, the baseline."""
    drivers = [
        SpokenTurnDriver(engine, index, setup.silence_ms, setup.max_sentences, same_clock=setup.same_clock, voice=voice)
        for index in range(setup.sessions)
    ]
    run = VoiceRun(voice)
    if setup.baseline and shared is not None and setup.sessions == 1:
        run.turns, run.baseline = await _side_by_side(
            drivers[0], BaselineConversation(shared, drivers[0].config), utterances
        )
    else:
        if setup.baseline:
            logger.warning("--baseline needs the embedded engine and one session: the baseline is not run")
        per_session = await asyncio.gather(*(driver.run(utterances) for driver in drivers))
        run.turns = [turn for session_turns in per_session for turn in session_turns]
    run.heard = drivers[0].heard
    if shared is not None:
        spoken_with = voice or shared.voice_ids()[0]
        run.floors, run.first_chunks = await asyncio.to_thread(_alone, shared, drivers[0], spoken_with)
    return run


async def _side_by_side(
    ours: SpokenTurnDriver, theirs: BaselineConversation, utterances: list[Utterance]
) -> tuple[list[TurnResult], list[BaselineTurn]]:
    await ours.open()
    await theirs.open()
    turns: list[TurnResult] = []
    try:
        for utterance in utterances:
            if ours.ended:
                break
            turns.append(await ours.turn(utterance))
            await theirs.turn(utterance)
    finally:
        await ours.close()
        await theirs.close()
    return turns, theirs.turns


def _alone(
    shared: SharedModels, driver: SpokenTurnDriver, voice: str
) -> tuple[list[FloorStages | None], list[FirstChunk]]:
    """Worker thread: each answered turn's stages alone, then its first chunk against the opener."""
    timer = FloorTimer(shared, driver.config)
    floors: list[FloorStages | None] = []
    chunks: list[FirstChunk] = []
    for heard in driver.heard:
        answered = heard.result.first_phrase is not None and heard.result.eos_to_first_audio_ms is not None
        floors.append(timer.stages_of(heard) if answered else None)
        if answered and heard.result.reply:
            compared = compare_first_chunk(
                shared.models, heard.result.reply, heard.reply_audio, voice=voice, speed=driver.config.speed or 1.0
            )
            if compared is not None:
                chunks.append(compared)
    return floors, chunks
