"""One live conversation's bookkeeping: which persona/scene/engine it runs, and its record.

`LiveSelection` is what the Live panel sends (read from fastrtc's arguments by `selection_from_args`,
validated here, at the boundary); `resolve_session` turns it into the composed session config;
`ConversationRecorder` writes the conversation and its turns to the store and both sides' audio to WAV
files under the data directory, each turn with a reference to its stretch of them (`turn_audio`).
"""

from __future__ import annotations

import asyncio
import logging
import wave
from collections.abc import Coroutine
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from model.events import SessionConfig, TurnTimings
from stepaudio_ui.live.turn_audio import PERSONA_WAV, USER_WAV, TurnMarks
from stepaudio_ui.studio.compose import compose_session
from stepaudio_ui.studio.specs import NO_SCENE
from stepaudio_ui.voices.cards import engine_voice

logger = logging.getLogger(__name__)


class LiveSelection(BaseModel):
    """The Live panel's choice: persona and scene (None version = the published/default one), engine.

    `scene_slug=None` is no scene tone: the persona alone, in a neutral frame (see compose)."""

    model_config = ConfigDict(frozen=True)
    persona_slug: str = Field(min_length=1, max_length=63)
    persona_version: int | None = Field(None, ge=1)
    scene_slug: str | None = Field(None, min_length=1, max_length=63)
    scene_version: int | None = Field(None, ge=1)
    engine: str = Field(min_length=1, max_length=80)
    brain: str | None = Field(None, max_length=200)  # the embedded engine's chat model; None: its default


@dataclass(frozen=True)
class ResolvedSession:
    """A selection with its versions pinned down, and the config composed from them."""

    selection: LiveSelection
    persona_version: int
    scene_version: int | None  # None: no scene tone
    persona_name: str
    config: SessionConfig


def resolve_session(
    db: Any, selection: LiveSelection, *, input_sample_rate: int, output_sample_rate: int
) -> ResolvedSession:
    """Load both versions from the store and compose them. Raises StudioError naming what is missing."""
    from stepaudio_ui.studio import library as studio

    with db.session() as s:
        persona = _load_version(studio, s, "persona", selection.persona_slug, selection.persona_version)
        scene = None
        if selection.scene_slug is not None:
            scene = _load_version(studio, s, "scene", selection.scene_slug, selection.scene_version)
    config = compose_session(persona.spec, scene.spec if scene else None)  # type: ignore[arg-type]
    config = config.model_copy(
        update={
            "input_sample_rate": input_sample_rate,
            "output_sample_rate": output_sample_rate,
            # A custom (reference-clip) voice: the embedded engine speaks its stated fallback voice.
            "voice": engine_voice(selection.engine, config.voice),
            "brain": selection.brain,
        }
    )
    return ResolvedSession(
        selection=selection,
        persona_version=persona.number,
        scene_version=scene.number if scene else None,
        persona_name=persona.spec.name,
        config=config,
    )


def _load_version(studio: Any, s: Any, kind: str, slug: str, number: int | None) -> Any:
    """`number=None` is the published version (else the latest), as the Live panel offers by default."""
    if number is None:
        return studio.get_default_version(s, kind=kind, slug=slug)
    return studio.get_version(s, kind=kind, slug=slug, number=number)


def session_brain(engine: Any, session: Any) -> dict[str, Any] | None:
    """The card of the brain an open engine session answers with (the engine resolved it when the session
    opened, and says so in the session's config), or None for an engine without one of ours."""
    card = getattr(engine, "brain_card", None)
    if card is None:
        return None
    return card(getattr(session.config, "brain", None))


def conversation_audio_dir(data_dir: Path, conversation_id: int) -> Path:
    """Where a conversation's WAV files live (the History panel reads them from here)."""
    return data_dir / "conversations" / f"{conversation_id:06d}"


class _WavStream:
    """A mono pcm16 WAV written frame by frame as the conversation goes (closed on finish)."""

    def __init__(self, path: Path, sample_rate: int) -> None:
        self._file = wave.open(str(path), "wb")  # noqa: SIM115 - closed in close()
        self._file.setnchannels(1)
        self._file.setsampwidth(2)
        self._file.setframerate(sample_rate)

    def write(self, samples: np.ndarray) -> None:
        self._file.writeframes(np.asarray(samples, dtype="<i2").tobytes())

    def close(self) -> None:
        self._file.close()


@dataclass(frozen=True)
class ConversationSubject:
    """What a conversation is recorded as talking to: the versions (persona None: a /v1/realtime client's
    own plain assistant; scene None: no scene tone), the engine, and the card of the brain that answers."""

    persona_slug: str | None
    persona_version: int | None
    scene_slug: str | None
    scene_version: int | None
    engine: str
    brain: dict[str, Any] | None = None

    @classmethod
    def of(cls, resolved: ResolvedSession, brain: dict[str, Any] | None = None) -> ConversationSubject:
        return cls(
            persona_slug=resolved.selection.persona_slug,
            persona_version=resolved.persona_version,
            scene_slug=resolved.selection.scene_slug,  # None with None: no scene tone
            scene_version=resolved.scene_version,
            engine=resolved.selection.engine,
            brain=brain,
        )


class ConversationRecorder:
    """Records one conversation: a store row with its turns, and a WAV per side."""

    def __init__(self, db: Any, conversation_id: int, audio_dir: Path, input_rate: int, output_rate: int) -> None:
        self.db = db
        self.conversation_id = conversation_id
        self.audio_dir = audio_dir
        audio_dir.mkdir(parents=True, exist_ok=True)
        self._user = _WavStream(audio_dir / USER_WAV, input_rate)
        self._persona = _WavStream(audio_dir / PERSONA_WAV, output_rate)
        self.marks = TurnMarks(input_rate, output_rate)  # where each turn lies in the two WAVs
        self._finished = False

    @classmethod
    async def start(
        cls, db: Any, data_dir: Path, resolved: ResolvedSession, brain: dict[str, Any] | None = None
    ) -> ConversationRecorder:
        """`brain`: the card of the brain the engine session talks with (`session_brain`)."""
        config = resolved.config
        return await cls.open(
            db,
            data_dir,
            ConversationSubject.of(resolved, brain),
            input_rate=config.input_sample_rate or 24_000,
            output_rate=config.output_sample_rate or 24_000,
        )

    @classmethod
    async def open(
        cls, db: Any, data_dir: Path, subject: ConversationSubject, *, input_rate: int, output_rate: int
    ) -> ConversationRecorder:
        """Create the conversation's row and its WAV files (each side at its own rate)."""

        def create() -> int:
            from stepaudio_ui.live import conversations

            with db.session() as s:
                return conversations.start_conversation(s, **asdict(subject))

        # SQLite commits can take tens of ms: keep them off the event loop that paces the audio.
        conversation_id = await asyncio.to_thread(create)
        return cls(db, conversation_id, conversation_audio_dir(data_dir, conversation_id), input_rate, output_rate)

    def write_user_audio(self, samples: np.ndarray) -> None:
        if not self._finished:
            self._user.write(samples)
            self.marks.wrote_user(len(samples))

    def write_persona_audio(self, samples: np.ndarray, *, replying: bool = False) -> None:
        """`replying`: reply audio, as opposed to the silence written between replies."""
        if not self._finished:
            self._persona.write(samples)
            self.marks.wrote_persona(len(samples), replying=replying)

    async def add_turn(
        self,
        *,
        role: str,
        text: str,
        interrupted: bool = False,
        timings: TurnTimings | None = None,
        audio: str | None = None,
    ) -> None:
        """Save a turn; `audio` is its `TurnMarks` reference (None: typed, or none of it was heard)."""
        if self._finished or not text.strip():
            return

        def add() -> None:
            from stepaudio_ui.live import conversations

            with self.db.session() as s:
                conversations.add_turn(
                    s,
                    conversation_id=self.conversation_id,
                    role=role,
                    text=text.strip(),
                    interrupted=interrupted,
                    timings=timings.model_dump() if timings else None,
                    audio_path=audio,
                )

        try:
            await asyncio.to_thread(add)
        except Exception:  # a lost turn must not end the conversation; the log says why
            logger.exception("could not save a %s turn of conversation %s", role, self.conversation_id)

    def add_reply(self, *, text: str, interrupted: bool, timings: TurnTimings | None) -> Coroutine[Any, Any, None]:
        """The save of the reply that just ended, with its stretch of persona.wav taken now (not when the
        returned coroutine runs, by when the next reply may be playing)."""
        clip = self.marks.reply_clip()
        return self.add_turn(role="assistant", text=text, interrupted=interrupted, timings=timings, audio=clip)

    async def finish(self, reason: str) -> None:
        if self._finished:
            return
        self._finished = True
        self._user.close()
        self._persona.close()

        def end() -> None:
            from stepaudio_ui.live import conversations

            with self.db.session() as s:
                conversations.end_conversation(s, conversation_id=self.conversation_id, reason=reason)

        try:
            await asyncio.to_thread(end)
        except Exception:
            logger.exception("could not close conversation %s", self.conversation_id)


def selection_from_args(args: list[Any]) -> LiveSelection:
    """fastrtc's args: [webrtc value, persona slug, persona version, scene slug, scene version, engine,
    role, brain] (role is read by the Live tab's own handler, ui/live_scope.py).

    fastrtc puts a "__webrtc_value__" marker in front when the webrtc value is a plain id string. The scene
    picker's "no scene tone" (`NO_SCENE`), or no pick, is a conversation without a scene tone."""
    args = list(args)
    if args and args[0] == "__webrtc_value__":
        args = args[1:]
    _, persona, persona_version, scene, scene_version, engine, _role, brain = (list(args) + [None] * 8)[:8]
    return LiveSelection(
        brain=brain or None,
        persona_slug=persona or "",
        persona_version=_version_or_none(persona_version),
        scene_slug=None if scene in (None, "", NO_SCENE) else scene,
        scene_version=None if scene in (None, "", NO_SCENE) else _version_or_none(scene_version),
        engine=engine or "",
    )


def _version_or_none(value: Any) -> int | None:
    """The version dropdowns hold an int, or a label like 'published' / None for the default."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
