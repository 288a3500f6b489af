"""A/B: the same user turn to two configurations at once, both replies with their latency; blind preferences
stored and summed up as win rates per pair.

A configuration is persona version x scene version x engine (and, on the embedded engine, its brain), so a
pair can be two persona versions, two scene tones, two engines or two brains. The greeting is left out of the session (it would only delay the reply).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import soundfile as sf
from sqlmodel import Session, select

from stepaudio_ui.quality.conversation import ScriptedConversation
from stepaudio_ui.quality.tables import AbPreference
from stepaudio_ui.studio import library as studio
from stepaudio_ui.studio.compose import compose_session
from stepaudio_ui.studio.scene_choice import lab_scene, scene_label
from stepaudio_ui.studio.store import Database, write_transaction
from stepaudio_ui.voices.cards import engine_voice


class AbSetupError(studio.StudioError):
    """The pair cannot be asked (unknown engine, blank turn...); the message says what to fix."""


@dataclass(frozen=True)
class AbConfig:
    persona: str
    scene: str | None  # None: the persona version's home scene; "none": no scene tone
    engine: str
    persona_version: int | None = None  # None: the latest
    scene_version: int | None = None
    brain: str | None = None  # the embedded engine's chat model (None: its default); others ignore it


@dataclass(frozen=True)
class AbReply:
    label: str  # "nova-in-car v2 x in-car v1 on embedded", or "... x no scene tone on ..."
    text: str
    audio_path: str | None
    audio_seconds: float
    latency_ms: float | None


def pair_key(label_a: str, label_b: str) -> str:
    return " || ".join(sorted((label_a, label_b)))


async def _ask(
    db: Database, engines: dict[str, Any], config: AbConfig, text: str, audio: Path | None, out_dir: Path
) -> AbReply:
    engine = engines.get(config.engine)
    if engine is None:
        raise AbSetupError(f"unknown engine {config.engine!r}; choose one of: {', '.join(engines)}")
    with db.session() as session:
        persona = studio.get_version(session, kind="persona", slug=config.persona, number=config.persona_version)
        scene = lab_scene(session, persona=persona.spec, requested=config.scene, number=config.scene_version)  # type: ignore[arg-type]
    label = f"{persona.slug} v{persona.number} x {scene_label(scene)} on {engine.name}"
    brain = engine.resolve_brain(config.brain) if hasattr(engine, "resolve_brain") else None
    if brain is not None:
        label += f" ({brain})"  # two brains of one engine are two configurations
    composed = compose_session(persona.spec, scene.spec if scene else None)  # type: ignore[arg-type]
    voice = engine_voice(engine.name, composed.voice)  # a custom voice: the embedded engine's stated fallback
    session_config = composed.model_copy(update={"greeting": None, "voice": voice, "brain": brain})
    async with ScriptedConversation(engine, session_config) as talk:
        # A spoken turn goes through each engine's own ear (ASR, or the speech model itself).
        reply = await (talk.speak(audio, label) if audio is not None else talk.say(text, label))
    path: str | None = None
    if reply.audio.size:
        out_dir.mkdir(parents=True, exist_ok=True)
        path = str(out_dir / f"ab-{uuid.uuid4().hex[:10]}.wav")
        sf.write(path, reply.audio, reply.sample_rate, subtype="PCM_16")
    return AbReply(label, reply.text, path, round(reply.audio_seconds, 2), reply.latency_ms)


async def ask_both(
    *,
    db: Database,
    engines: dict[str, Any],
    a: AbConfig,
    b: AbConfig,
    text: str,
    out_dir: Path,
    audio: Path | None = None,
    on_reply: Callable[[AbReply], None] | None = None,
) -> tuple[AbReply, AbReply]:
    """Send the same user turn — `text`, or the spoken `audio` clip when given — to both configurations
    concurrently; both replies (WAVs under `out_dir`). `on_reply` hears of each reply as it arrives."""
    if audio is not None and not Path(audio).is_file():
        raise AbSetupError(f"the spoken turn {audio} is missing; record or upload it again")
    if audio is None and not text.strip():
        raise AbSetupError("type the user turn, or record or upload it, to send to both configurations")

    async def ask(config: AbConfig) -> AbReply:
        reply = await _ask(db, engines, config, text, audio, out_dir)
        if on_reply is not None:
            on_reply(reply)
        return reply

    first, second = await asyncio.gather(ask(a), ask(b))
    return first, second


def record_preference(session: Session, *, winner: str, loser: str, user_text: str, blind: bool) -> None:
    if winner == loser:
        raise AbSetupError("a preference needs two different configurations; change one side")
    with write_transaction(session):
        session.add(
            AbPreference(pair=pair_key(winner, loser), winner=winner, loser=loser, user_text=user_text, blind=blind)
        )


@dataclass(frozen=True)
class WinRate:
    pair: str
    config: str
    wins: int
    total: int

    @property
    def rate(self) -> float:
        return self.wins / self.total if self.total else 0.0


def win_rates(session: Session) -> list[WinRate]:
    """Per pair, each side's wins out of the pair's votes; pairs in order of first vote."""
    tallies: dict[str, dict[str, int]] = {}
    for pref in session.exec(select(AbPreference).order_by(AbPreference.id)):
        sides = tallies.setdefault(pref.pair, dict.fromkeys(pref.pair.split(" || "), 0))
        sides[pref.winner] = sides.get(pref.winner, 0) + 1
    return [
        WinRate(pair, config, wins, sum(sides.values()))
        for pair, sides in tallies.items()
        for config, wins in sides.items()
    ]
