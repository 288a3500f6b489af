"""The Live tab's latency chart: a Gradio bar plot of each spoken turn, stacked by stage.

Gradio's native plot (Vega-Lite, bundled with the page: nothing is fetched) follows the page's light or
dark theme and shows each stage's milliseconds on hover; its caption says the newest turn in words.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gradio as gr
import pandas as pd

from stepaudio_ui.live.view import LATENCY_STAGES, TurnLatency
from stepaudio_ui.ui.i18n import i18n, tr
from stepaudio_ui.ui.localized_load import localize

ELEM_ID = "live-latency"
SHOWN_TURNS = 12  # the newest turns; older ones scroll out
COLUMNS = ("turn", "stage", "ms")


def stage_names() -> list[str]:
    """The stages in the reader's language, in LATENCY_STAGES order ("live.latency.stage.<n>")."""
    return [tr(f"live.latency.stage.{index}") for index in range(len(LATENCY_STAGES))]


def titles() -> dict[str, Any]:
    """The plot's words a browser does not translate: axis titles, legend, colours by stage name, caption."""
    colours = dict(zip(stage_names(), (colour for _label, colour in LATENCY_STAGES), strict=True))
    return {
        "x_title": tr("live.latency.turn"),
        "y_title": tr("live.latency.ms"),
        "color_title": tr("live.latency.stage"),
        "color_map": colours,
        "caption": tr("live.latency.empty"),
    }


def latency_frame(latencies: Sequence[TurnLatency]) -> pd.DataFrame:
    """One row per (turn, stage) of the newest SHOWN_TURNS turns; stages the engine did not report are left out.

    Turns are labelled "T<n>" so the plot treats them as categories (a number would make a continuous axis)."""
    names = stage_names()
    rows = [
        (f"T{item.turn}", label, round(value))
        for item in latencies[-SHOWN_TURNS:]
        for label, value in zip(names, item.stages, strict=True)
        if value is not None
    ]
    return pd.DataFrame(rows, columns=list(COLUMNS))


def caption(latencies: Sequence[TurnLatency]) -> str:
    if not latencies:
        return tr("live.latency.empty")
    newest = latencies[-1]
    stages = ", ".join(
        f"{label} {value:.0f}" for label, value in zip(stage_names(), newest.stages, strict=True) if value is not None
    )
    return tr("live.latency.caption", turn=newest.turn, total=f"{newest.total_ms:.0f}", stages=stages)


def plot() -> gr.BarPlot:
    """The empty chart, laid out where it is called.

    No `y_lim`: in Gradio 5.50 a plot with `y_lim=[0, None]` re-renders the whole page without end (measured:
    the idle Live tab's main thread went from ~3% to ~90% busy, enough to delay the page's barge-in polling and
    its audio), and stacked bars start at 0 anyway."""
    chart = gr.BarPlot(
        latency_frame([]),
        x="turn",
        y="ms",
        color="stage",
        label=i18n("live.latency.label"),
        elem_id=ELEM_ID,
        **titles(),
    )
    localize(chart, lambda: gr.update(**titles()))
    return chart


def chart_update(latencies: Sequence[TurnLatency], *, changed: bool) -> Any:
    """The chart's new value, or no update when no turn was added: the page gets ~10 snapshots a second
    and redrawing the plot for each would cost the browser CPU the audio needs."""
    if not changed:
        return gr.skip()
    ordered = [f"T{item.turn}" for item in latencies[-SHOWN_TURNS:]]
    return gr.update(value=latency_frame(latencies), caption=caption(latencies), sort=ordered or None)
