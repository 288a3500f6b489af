"""Opening a live conversation: the engine checked, the persona and scene composed, the record started;
and switching its persona or scene mid-call."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from model.embedded.engine import EmbeddedEngine
from model.protocol import EngineSession
from stepaudio_ui.context import AppContext
from stepaudio_ui.live.pacing import OUTPUT_RATE
from stepaudio_ui.live.session import (
    ConversationRecorder,
    LiveSelection,
    ResolvedSession,
    resolve_session,
    selection_from_args,
    session_brain,
)


@dataclass(frozen=True)
class OpenedSession:
    session: EngineSession
    resolved: ResolvedSession
    recorder: ConversationRecorder
    client_paced: bool  # the session sends audio ahead of playout: the bridge paces it and truncates what was cut


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
    # The embedded engine leaves playout to the bridge: one chunker and one pacer, the bridge's (live/playout.py).
    client_paced = isinstance(engine, EmbeddedEngine)
    if client_paced:
        session = await engine.open_session(resolved.config, paced=False)
    else:
        session = await engine.open_session(resolved.config)
    recorder = await ConversationRecorder.start(ctx.db, ctx.settings.data_dir, resolved, session_brain(engine, session))
    return OpenedSession(session, resolved, recorder, client_paced)


async def switch_mid_call(
    ctx: AppContext,
    current: ResolvedSession | None,
    args: list[Any],
    check: Callable[[LiveSelection, list[Any]], Awaitable[None]],
    notice: Callable[..., None],
    input_rate: int,
) -> ResolvedSession | None:
    """The page's inputs changed mid-call: the session they now ask for (None: nothing changed, or the change
    is refused by `check` or fails, which `notice` tells the page)."""
    try:
        selection = selection_from_args(args)
        await check(selection, args)
        return await switched_session(ctx, current, selection, notice, input_rate=input_rate)
    except Exception as exc:
        notice("live.status.could_not_switch", error=exc)
        return None


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
