"""Opening a live conversation: the engine checked, the persona and scene composed, the record started."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from model.protocol import EngineSession
from stepaudio_ui.context import AppContext
from stepaudio_ui.live.pacing import OUTPUT_RATE
from stepaudio_ui.live.session import (
    ConversationRecorder,
    LiveSelection,
    ResolvedSession,
    resolve_session,
    session_brain,
)


@dataclass(frozen=True)
class OpenedSession:
    session: EngineSession
    resolved: ResolvedSession
    recorder: ConversationRecorder


async def open_live_session(
    ctx: AppContext, selection: LiveSelection, notice: Callable[..., None], *, input_rate: int
) -> OpenedSession:
    """Raises with a message for the page when the engine is unknown or cannot run here."""
    engine = ctx.engines.get(selection.engine)
    if engine is None:
        raise LookupError(f"no engine named '{selection.engine}'; pick one from the engine list")
    availability = engine.availability()
    if not availability.usable:
        raise RuntimeError(f"engine '{selection.engine}' is not usable here: {availability.reason}")
    if getattr(engine, "models", True) is None:  # local models still loading: say so, it takes a while
        notice("live.status.loading", engine=selection.engine)
    else:
        notice("live.status.opening", engine=selection.engine)
    resolved = await asyncio.to_thread(
        resolve_session, ctx.db, selection, input_sample_rate=input_rate, output_sample_rate=OUTPUT_RATE
    )
    session = await engine.open_session(resolved.config)
    recorder = await ConversationRecorder.start(ctx.db, ctx.settings.data_dir, resolved, session_brain(engine, session))
    return OpenedSession(session, resolved, recorder)


async def switched_session(
    ctx: AppContext,
    current: ResolvedSession | None,
    selection: LiveSelection,
    notice: Callable[..., None],
    *,
    input_rate: int,
) -> ResolvedSession | None:
    """The session a mid-call change of persona or scene asks for; None when nothing changed. The engine and
    the brain stay those the call opened with (the page is told they change from the next call)."""
    if current and selection == current.selection:
        return None
    if current and selection.engine != current.selection.engine:
        notice("live.status.engine_next")
        selection = selection.model_copy(update={"engine": current.selection.engine})
    if current and selection.brain != current.selection.brain:
        notice("live.status.brain_next")
        selection = selection.model_copy(update={"brain": current.selection.brain})
    return await asyncio.to_thread(
        resolve_session, ctx.db, selection, input_sample_rate=input_rate, output_sample_rate=OUTPUT_RATE
    )
