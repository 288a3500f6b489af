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

ELEM_ID = "live-latency"
SHOWN_TURNS = 12  # the newest turns; older ones scroll out
# Every word the chart shows, in one place (for translation).
TEXT = {
    "label": "Latency per turn",
    "turn": "Turn",
    "ms": "ms",
    "stage": "Stage",
    "empty": "Per-turn latency appears here after the first spoken turn.",
    "caption": "Turn {turn}: {total:.0f} ms from the end of your speech to the first reply audio ({stages}).",
}
COLUMNS = ("turn", "stage", "ms")


def latency_frame(latencies: Sequence[TurnLatency]) -> pd.DataFrame:
    """One row per (turn, stage) of the newest SHOWN_TURNS turns; stages the engine did not report are left out.

    Turns are labelled "T<n>" so the plot treats them as categories (a number would make a continuous axis)."""
    rows = [
        (f"T{item.turn}", label, round(value))
        for item in latencies[-SHOWN_TURNS:]
        for (label, _colour), value in zip(LATENCY_STAGES, item.stages, strict=True)
        if value is not None
    ]
    return pd.DataFrame(rows, columns=list(COLUMNS))


def caption(latencies: Sequence[TurnLatency]) -> str:
    if not latencies:
        return TEXT["empty"]
    newest = latencies[-1]
    stages = ", ".join(
        f"{label} {value:.0f}"
        for (label, _colour), value in zip(LATENCY_STAGES, newest.stages, strict=True)
        if value is not None
    )
    return TEXT["caption"].format(turn=newest.turn, total=newest.total_ms, stages=stages)


def plot() -> gr.BarPlot:
    """The empty chart, laid out where it is called.

    No `y_lim`: in Gradio 5.50 a plot with `y_lim=[0, None]` re-renders the whole page without end (measured:
    the idle Live tab's main thread went from ~3% to ~90% busy, enough to delay the page's barge-in polling and
    its audio), and stacked bars start at 0 anyway."""
    return gr.BarPlot(
        latency_frame([]),
        x="turn",
        y="ms",
        color="stage",
        x_title=TEXT["turn"],
        y_title=TEXT["ms"],
        color_title=TEXT["stage"],
        color_map={label: colour for label, colour in LATENCY_STAGES},
        caption=TEXT["empty"],
        label=TEXT["label"],
        elem_id=ELEM_ID,
    )


def chart_update(latencies: Sequence[TurnLatency], *, changed: bool) -> Any:
    """The chart's new value, or no update when no turn was added: the page gets ~10 snapshots a second
    and redrawing the plot for each would cost the browser CPU the audio needs."""
    if not changed:
        return gr.skip()
    ordered = [f"T{item.turn}" for item in latencies[-SHOWN_TURNS:]]
    return gr.update(value=latency_frame(latencies), caption=caption(latencies), sort=ordered or None)
