"""Run a check script: persona version x scene version x engine -> a stored, scored run.

    record = await run_check(db=db, engine=engine, script=script, data_dir=settings.data_dir,
                             embedder=SentenceEmbedder(), persona_version=5)

Every reply's WAV goes under `<data dir>/quality/run-<stamp>/`; the run row stores the versions, the
engine, the script, the voice card, every reply and every check result.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile as sf

from model.protocol import Engine
from stepaudio_ui.quality.conversation import CollectedReply, ScriptedConversation
from stepaudio_ui.quality.embedder import SentenceEmbedder
from stepaudio_ui.quality.runs import RunRecord, get_run, save_run
from stepaudio_ui.quality.scorers import CheckResult, Reply, score_reply, voiced_seconds
from stepaudio_ui.quality.script import CheckScript, Expectations, script_json
from stepaudio_ui.quality.tables import QualityReply, QualityRun
from stepaudio_ui.studio import library as studio
from stepaudio_ui.studio.compose import compose_session, effective_language
from stepaudio_ui.studio.scene_choice import lab_scene, scene_label
from stepaudio_ui.studio.specs import PersonaSpec
from stepaudio_ui.studio.store import Database, utc_now
from stepaudio_ui.voices.cards import engine_voice, voice_card

logger = logging.getLogger(__name__)


class CheckSetupError(ValueError):
    """The run cannot start (no such scene, engine unusable...); the message names the fix."""


def _voice_card_json(db: Database, engine: Engine, voice_id: str) -> str:
    """The voice's provenance card as the run records it (custom voices carry their own provenance)."""
    with db.session() as session:
        return voice_card(engine, voice_id, session).model_dump_json()


def _greeting_expectations(script: CheckScript, scene_requires_disclosure: bool) -> Expectations | None:
    expect = script.greeting
    if scene_requires_disclosure:
        # The scene promises listeners an AI disclosure: verify it whether or not the script asks.
        expect = (expect or Expectations()).model_copy(update={"discloses_ai": True})
    return expect


def _save_audio(reply: CollectedReply, folder: Path, index: int) -> str | None:
    if reply.audio.size == 0:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"turn-{index:02d}.wav"
    sf.write(str(path), reply.audio, reply.sample_rate, subtype="PCM_16")
    return str(path)


def _reply_row(reply: CollectedReply, index: int, results: list[CheckResult], audio_dir: Path) -> QualityReply:
    return QualityReply(
        run_id=0,
        turn_index=index,
        user_text=reply.user_text,
        reply_text=reply.text,
        audio_path=_save_audio(reply, audio_dir, index),
        audio_seconds=round(reply.audio_seconds, 3),
        latency_ms=round(reply.latency_ms, 1) if reply.latency_ms is not None else None,
        results=json.dumps([r.model_dump() for r in results], ensure_ascii=False),
    )


async def run_check(
    *,
    db: Database,
    engine: Engine,
    script: CheckScript,
    data_dir: Path,
    embedder: SentenceEmbedder,
    persona_version: int | None = None,
    scene_slug: str | None = None,
    scene_version: int | None = None,
    on_step: Callable[[int, int, str], None] | None = None,
    sampled: bool = False,
) -> RunRecord:
    """Run `script` against the persona (latest version unless given) in the scene (given, else the
    script's, else the persona version's home scene, else none; `"none"`: no scene tone; latest version
    unless given) on `engine`, store the run and return it. `on_step(done, total, what)` is called before
    each reply is asked for (the greeting, then "turn 1"...), e.g. to move a progress bar.

    The engine is asked for its most likely replies (temperature 0), unless `sampled`: a sampled run of one
    persona version passed and failed by turns (the default brain passed 15 of 21 seed runs), so a
    writer could not tell whether an edit or chance moved a check. Engines that take no temperature (the
    hosted ones, Step-Audio 2 mini) sample either way; the run records what it asked for."""
    availability = engine.availability()
    if not availability.usable:
        raise CheckSetupError(f"the {engine.name} engine cannot run here: {availability.reason}")
    with db.session() as session:
        persona_view = studio.get_version(session, kind="persona", slug=script.persona, number=persona_version)
        persona: PersonaSpec = persona_view.spec  # type: ignore[assignment]
        scene_view = lab_scene(session, persona=persona, requested=scene_slug or script.scene, number=scene_version)
    scene = scene_view.spec if scene_view else None
    config = compose_session(persona, scene)  # type: ignore[arg-type]
    # a custom voice: the embedded engine speaks with its stated fallback (the card says so)
    temperature = None if sampled else 0.0
    config = config.model_copy(update={"voice": engine_voice(engine.name, config.voice), "temperature": temperature})
    speed = config.speed or 1.0
    audio_dir = data_dir / "quality" / f"run-{utc_now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"
    started = utc_now()
    rows: list[QualityReply] = []
    all_results: list[CheckResult] = []
    logger.info("check %s v%d x %s on %s", script.persona, persona_view.number, scene_label(scene_view), engine.name)

    async def score(reply: CollectedReply, expect: Expectations, index: int) -> None:
        # In a worker thread: the embedding model must not stall the event loop (the UI shares it).
        results = await asyncio.to_thread(
            score_reply,
            Reply(reply.text, reply.audio_seconds, voiced_seconds(reply.audio, reply.sample_rate)),
            expect,
            persona=persona,
            speed=speed,
            embedder=embedder,
        )
        all_results.extend(results)
        rows.append(_reply_row(reply, index, results, audio_dir))

    greeting_steps = 1 if config.greeting else 0
    total = greeting_steps + len(script.turns)
    step = on_step or (lambda done, total, what: None)
    async with ScriptedConversation(engine, config) as talk:
        if config.greeting:
            step(0, total, "greeting")
            greeting = await talk.greeting()
            expect = _greeting_expectations(script, getattr(scene, "require_ai_disclosure", False))
            if greeting is not None:
                await score(greeting, expect or Expectations(persona_guardrails=False), 0)
            elif expect is not None:
                silent = CheckResult(
                    check="greeting_spoken", passed=False, detail=f"the {engine.name} engine spoke no greeting"
                )
                all_results.append(silent)
                rows.append(
                    _reply_row(CollectedReply("", "", np.zeros(0, np.float32), 1, None), 0, [silent], audio_dir)
                )
        for index, turn in enumerate(script.turns, start=1):
            what = f"turn {index}"
            step(greeting_steps + index - 1, total, what)
            # As a listener would, hearing the last reply out: the engine readies its next prompt meanwhile, and
            # the first audio measured is the one a user would wait for (without it, the first turn paid for
            # evaluating the persona's whole prompt: 6-11 s in the seed checks).
            await talk.settle()
            reply = await (talk.say(turn.say, what) if turn.say is not None else talk.speak(turn.audio, what))  # type: ignore[arg-type]
            await score(reply, script.expectations_for(index - 1), index)
    failed = sum(not r.passed for r in all_results)
    run = QualityRun(
        persona_slug=script.persona,
        persona_version=persona_view.number,
        scene_slug=scene_view.slug if scene_view else None,  # None: run without a scene tone
        scene_version=scene_view.number if scene_view else None,
        engine=engine.name,
        script=script_json(script),
        voice_card=_voice_card_json(db, engine, persona.voice),
        started_at=started,
        finished_at=utc_now(),
        passed=failed == 0,
        failed_checks=failed,
        total_checks=len(all_results),
        audio_dir=str(audio_dir),
        temperature=temperature,
    )
    with db.session() as session:
        run_id = save_run(session, run=run, replies=rows)
        record = get_run(session, run_id)
    logger.info(
        "check run %s: %d of %d checks failed (language %s)",
        record.label,
        failed,
        len(all_results),
        effective_language(persona, scene),
    )  # type: ignore[arg-type]
    return record
