"""The Live tab's engine picker and the status line of every engine (ready, loading its models, or why not).

Both are written in the reader's language when a handler makes them (page load, the 5-second refresh).
"""

from __future__ import annotations

from stepaudio_ui.context import AppContext
from stepaudio_ui.ui.i18n import tr


def engine_choices(ctx: AppContext) -> list[tuple[str, str]]:
    """Every engine, unusable ones labelled with the reason (picking one says so when starting)."""
    choices = []
    for name, engine in ctx.engines.items():
        availability = engine.availability()
        label = name if availability.usable else tr("live.engine.unavailable", name=name, reason=availability.reason)
        choices.append((label, name))
    return choices


def engines_markdown(ctx: AppContext) -> str:
    if not ctx.engines:
        return tr("live.engine.none")
    return "  \n".join(f"{mark} **{name}**{': ' + text if text else ''}" for name, (mark, text) in _states(ctx))


def _states(ctx: AppContext) -> list[tuple[str, tuple[str, str]]]:
    states = []
    for name, engine in ctx.engines.items():
        availability = engine.availability()
        if not availability.usable:
            states.append((name, ("❌", availability.reason)))
        elif getattr(engine, "models", True) is None:  # an engine with local models not yet loaded
            states.append((name, ("⏳", tr("live.engine.loading"))))
        else:
            states.append((name, ("✅", tr("live.engine.ready"))))
    return states
