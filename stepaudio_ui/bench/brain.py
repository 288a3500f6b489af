"""`stepaudio-ui bench brain`: every installed brain on the same persona turns, side by side in one run.

For each brain (chat model) of the embedded engine, the same typed turns go to the seed personas through
the real engine session and the real voice (bench/brain_turns.py): English and Chinese. Per brain and
language it reports language right, length within the scene's limit, mean words, loops (a repeated
4-gram), relevance (the reply names what was asked), the quality lab's in-character score, time to first
token, tokens/s, decision -> first audio (typed turn sent -> first reply audio) and the memory the brain
adds. Then long conversations (12 turns by default) per persona: in-character score by turn (turn 12
over turn 1, target >= 0.9) and how often a reply repeats an earlier one. It prints a table, writes JSON,
and with `--store` saves each brain x persona as a quality-lab run, so `stepaudio-ui check --compare A B`
shows two brains check by check. Speed figures are only comparable within one run (shared machines).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from model.embedded.engine import EmbeddedEngine, load_shared_models
from model.embedded.models import EmbeddedModels, load_chat_model, warm_chat_model
from model.embedded.reply.brains import SMOLLM2_ID, Brain, UnknownBrainError, brain_by_id, installed_brains
from model.embedded.speak.voices import FAST_VOICE_ID
from stepaudio_ui.bench.brain_report import print_report, verdicts
from stepaudio_ui.bench.brain_scores import ReplyScore, repeats_earlier, score, summarise
from stepaudio_ui.bench.brain_store import store_runs
from stepaudio_ui.bench.brain_turns import DEFAULT_LONG_PERSONAS, LONG_SCENES, TURNS, BenchTurn, long_conversation
from stepaudio_ui.engines import embedded_options
from stepaudio_ui.quality.conversation import CollectedReply, ScriptedConversation
from stepaudio_ui.quality.embedder import SentenceEmbedder
from stepaudio_ui.quality.scorers import character_references
from stepaudio_ui.settings import Settings
from stepaudio_ui.studio.compose import compose_session
from stepaudio_ui.studio.specs import PersonaSpec, SceneSpec

logger = logging.getLogger(__name__)
# A bench measures, it does not judge: a reply minutes late on a machine others load is a figure, not a failure.
REPLY_TIMEOUT_S = 900.0
# The label of a brain run with the copy guard off (`--without-copy-guard`): what the guard does, measured
# in the same run as the brain with it.
NO_COPY_GUARD = "-no-copy-guard"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--brains", default=None, help="comma-separated brain ids (default: every installed one)")
    parser.add_argument("--turns", type=int, default=None, help="only the first N turns of the turn set (0: none)")
    parser.add_argument("--long-turns", type=int, default=12, help="turns per long conversation (0: none)")
    parser.add_argument(
        "--long-personas",
        default=",".join(DEFAULT_LONG_PERSONAS),
        help="personas for long conversations, comma-separated, or 'all' (default: one English, one Chinese)",
    )
    parser.add_argument("--out", type=Path, default=None, help="JSON file (default: <data dir>/bench/brain-*.json)")
    parser.add_argument("--store", action="store_true", help="save each brain x persona as a quality-lab run")
    parser.add_argument("--partial-out", type=Path, default=None, help="JSON rewritten after each persona's turns")
    parser.add_argument("--json-only", action="store_true", help="print only the JSON")
    parser.add_argument(
        "--without-copy-guard",
        action="store_true",
        help=f"also run each brain with the copy guard off, side by side (as BRAIN{NO_COPY_GUARD})",
    )


def _resident_mb() -> float:
    """This process's resident memory now (Linux); 0 where /proc is missing."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _specs(db: Any, persona: str, scene: str) -> tuple[PersonaSpec, SceneSpec]:
    from stepaudio_ui.studio import library as studio

    with db.session() as session:
        persona_spec = studio.get_version(session, kind="persona", slug=persona).spec
        scene_spec = studio.get_version(session, kind="scene", slug=scene).spec
    return persona_spec, scene_spec  # type: ignore[return-value]


class BrainBench:
    """Every brain through its own real engine session, turn by turn in rotation: on a shared machine the
    load changes by the minute, and asking each brain the same turn one after the other lets every brain
    meet the same load (a brain run after another would meet another hour's)."""

    def __init__(self, db: Any, engines: dict[str, EmbeddedEngine], embedder: SentenceEmbedder) -> None:
        self.db = db
        self.engines = engines
        self.embedder = embedder

    def _config(self, persona: PersonaSpec, scene: SceneSpec, *, fast_voice: bool = False) -> Any:
        config = compose_session(persona, scene).model_copy(update={"greeting": None})
        if fast_voice and config.language == "en":  # only the words count in long conversations
            config = config.model_copy(update={"voice": FAST_VOICE_ID})
        return config

    def _score(self, turn: BenchTurn, persona: PersonaSpec, scene: SceneSpec, reply: CollectedReply) -> ReplyScore:
        in_character = self.embedder.similarity(reply.text, character_references(persona)) if reply.text else 0.0
        result = score(
            persona=turn.persona, user=turn.text, reply=reply.text, language=turn.language,
            max_sentences=scene.verbosity, relevant_words=turn.relevant, in_character=in_character,
        )  # fmt: skip
        timings = reply.timings
        if timings is not None:
            if timings.llm_first_token_ms and timings.reply_started_ms:
                result.ttft_ms = round(timings.llm_first_token_ms - timings.reply_started_ms, 1)
            result.tokens_per_s = timings.llm_tokens_per_s
            if timings.first_audio_ms and timings.speech_end_ms:
                result.decision_to_first_audio_ms = round(timings.first_audio_ms - timings.speech_end_ms, 1)
        return result

    async def _open(self, stack: contextlib.AsyncExitStack, config: Any) -> dict[str, ScriptedConversation]:
        return {
            brain: await stack.enter_async_context(
                ScriptedConversation(engine, config, reply_timeout_s=REPLY_TIMEOUT_S)
            )
            for brain, engine in self.engines.items()
        }

    def _rotation(self, index: int) -> list[str]:
        brains = list(self.engines)
        shift = index % len(brains)
        return brains[shift:] + brains[:shift]  # who goes first changes from turn to turn

    async def turn_set(
        self, turns: list[BenchTurn], on_persona_done: Callable[[dict[str, list[ReplyScore]]], None] | None = None
    ) -> dict[str, list[ReplyScore]]:
        scores: dict[str, list[ReplyScore]] = {brain: [] for brain in self.engines}
        asked = 0
        for persona_slug in dict.fromkeys(turn.persona for turn in turns):
            mine = [turn for turn in turns if turn.persona == persona_slug]
            persona, scene = _specs(self.db, persona_slug, mine[0].scene)
            async with contextlib.AsyncExitStack() as stack:
                talks = await self._open(stack, self._config(persona, scene))
                for turn in mine:
                    asked += 1
                    for brain in self._rotation(asked):
                        await talks[brain].settle()  # the user listened to the last reply before typing
                        reply = await talks[brain].say(turn.text, f"{brain} {persona_slug}: {turn.text}")
                        scores[brain].append(self._score(turn, persona, scene, reply))
                        logger.info("%s | %s | %s -> %s", brain, persona_slug, turn.text, reply.text)
            if on_persona_done is not None:
                on_persona_done(scores)
        return scores

    async def long_conversation(self, persona_slug: str, turns: int) -> dict[str, dict[str, Any]]:
        persona, scene = _specs(self.db, persona_slug, LONG_SCENES[persona_slug])
        references = character_references(persona)
        runs: dict[str, dict[str, Any]] = {
            brain: {"persona": persona_slug, "in_character_by_turn": [], "repeats": 0, "replies": []}
            for brain in self.engines
        }
        async with contextlib.AsyncExitStack() as stack:
            talks = await self._open(stack, self._config(persona, scene, fast_voice=True))
            for index, text in enumerate(long_conversation(persona_slug, turns), start=1):
                for brain in self._rotation(index):
                    await talks[brain].settle()
                    reply = await talks[brain].say(text, f"{brain} {persona_slug} long turn {index}")
                    run = runs[brain]
                    similarity = self.embedder.similarity(reply.text, references) if reply.text else 0.0
                    run["in_character_by_turn"].append(round(similarity, 3))
                    run["repeats"] += repeats_earlier(reply.text, run["replies"])
                    run["replies"].append(reply.text)
        return runs


def _by_language(scores: dict[str, list[ReplyScore]]) -> dict[str, dict[str, Any]]:
    return {
        brain: {
            language: dataclasses.asdict(summarise([s for s in mine if s.language == language]))
            for language in ("en", "zh")
        }
        for brain, mine in scores.items()
    }


async def bench_brains(
    db: Any,
    engines: dict[str, EmbeddedEngine],
    turns: list[BenchTurn],
    long_personas: list[str],
    long_turns: int,
    partial_out: Path | None = None,
) -> dict[str, dict[str, Any]]:
    bench = BrainBench(db, engines, SentenceEmbedder())

    def save_partial(scores: dict[str, list[ReplyScore]]) -> None:
        if partial_out is not None:  # what is done so far, for a run that may be stopped part-way
            partial_out.write_text(json.dumps(_by_language(scores), ensure_ascii=False, indent=1), encoding="utf-8")

    scores = await bench.turn_set(turns, save_partial)
    long: dict[str, list[dict[str, Any]]] = {brain: [] for brain in engines}
    for persona in long_personas if long_turns else []:
        for brain, run in (await bench.long_conversation(persona, long_turns)).items():
            long[brain].append(run)
    summaries = _by_language(scores)
    return {brain: {**summaries[brain], "long": long[brain]} for brain in engines}


def load_brains(
    settings: Settings, brains: list[Brain], without_copy_guard: bool = False
) -> tuple[dict[str, EmbeddedEngine], dict[str, dict[str, Any]]]:
    """An unpaced engine per brain over one set of voice models, and what loading each brain cost; with
    `without_copy_guard`, a second engine per brain on the same chat model, its copy guard off."""
    # The voices (and the first brain, the smallest) load once; each brain is loaded beside them.
    voice_models: EmbeddedModels = load_shared_models(
        dataclasses.replace(embedded_options(settings), brain=brains[0].id)
    )
    engines: dict[str, EmbeddedEngine] = {}
    loads: dict[str, dict[str, Any]] = {}
    for brain in brains:
        options = dataclasses.replace(embedded_options(settings), brain=brain.id)
        before, started = _resident_mb(), time.perf_counter()
        # A fresh copy even of the brain loaded with the voices: the memory each adds is measured alike.
        chat = load_chat_model(options)
        warm_chat_model(chat)
        loads[brain.id] = {
            "brain": brain.id,
            "card": brain.card_lines(),
            "load_s": round(time.perf_counter() - started, 1),
            "memory_added_mb": round(_resident_mb() - before, 1),
        }
        engines[brain.id] = EmbeddedEngine(options, dataclasses.replace(voice_models, llm=chat), pace_audio=False)
        if without_copy_guard:
            label = f"{brain.id}{NO_COPY_GUARD}"
            loads[label] = {**loads[brain.id], "brain": label}
            unguarded = dataclasses.replace(options, copy_guard=False)
            engines[label] = EmbeddedEngine(unguarded, dataclasses.replace(voice_models, llm=chat), pace_audio=False)
    return engines, loads


def _brains(args: argparse.Namespace) -> list[Brain]:
    if args.brains:
        return [brain_by_id(name.strip()) for name in args.brains.split(",") if name.strip()]
    # SmolLM2 first: it is the baseline the others are measured against.
    return sorted(installed_brains(), key=lambda brain: brain.id != SMOLLM2_ID)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from stepaudio_ui.bootstrap import open_database

    try:
        brains = _brains(args)
    except UnknownBrainError as error:
        sys.stderr.write(f"bench brain: {error}\n")
        return 2
    missing = [brain for brain in brains if not brain.installed()]
    if missing:
        sys.stderr.write("".join(f"bench brain: {b.name} is not installed: `{b.install_command()}`\n" for b in missing))
        return 2
    long_personas = list(LONG_SCENES) if args.long_personas == "all" else args.long_personas.split(",")
    unknown = [persona for persona in long_personas if persona not in LONG_SCENES]
    if unknown:
        sys.stderr.write(f"bench brain: no long conversation for {unknown}; choose from {', '.join(LONG_SCENES)}\n")
        return 2
    turns = list(TURNS[: args.turns] if args.turns is not None else TURNS)
    db = open_database(settings)
    engines, loads = load_brains(settings, brains, args.without_copy_guard)
    measured = asyncio.run(bench_brains(db, engines, turns, long_personas, args.long_turns, args.partial_out))
    results = [{**loads[label], **measured[label]} for label in engines]
    report = {"brains": results, "verdicts": verdicts(results)}
    if args.store:
        report["stored_runs"] = store_runs(db, results)
    out = args.out or settings.data_dir / "bench" / f"brain-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.json_only:
        sys.stdout.write(json.dumps(report, ensure_ascii=False) + "\n")
    else:
        print_report(results, report["verdicts"], report.get("stored_runs"), out)
    return 0
