"""The chart of where the time goes, drawn by matplotlib from one `bench engine` run (`--report FILE.png`).

Per voice, three bars of end of speech -> first audio (each stage's p50 over the run's turns, stacked; the
number at the end is their sum, not the p50 of the totals): the floor
(each stage timed alone, one after another), ours (the turn-end wait, then the rest of the answer; the
engine overlaps transcription and the reply with the wait, so its stages are not drawn one by one), and
fastrtc's ReplyOnPause on the same turns (pause detection, whole transcript, whole reply, whole speech).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display on a server
import matplotlib.pyplot as plt  # noqa: E402

Stages = list[tuple[str, float]]
COLOURS = {
    "turn end": "#8da0cb",
    "ASR": "#66c2a5",
    "first token": "#fc8d62",
    "first phrase": "#e78ac3",
    "answer after the decision": "#a6d854",
    "whole reply": "#ffd92f",
    "whole speech": "#e5c494",
}


def _get(ratios: dict[str, object], key: str) -> float:
    value = ratios.get(key)
    return float(value) if isinstance(value, int | float) else 0.0


# (stage, key of its p50 in `engine_summary.voice_ratios`) of the floor and of the baseline
FLOOR_STAGES = (
    ("turn end", "floor_turn_end_p50_ms"),
    ("ASR", "floor_asr_p50_ms"),
    ("first token", "floor_first_token_p50_ms"),
    ("first phrase", "floor_first_phrase_p50_ms"),
)
BASELINE_STAGES = (
    ("turn end", "baseline_pause_wait_p50_ms"),
    ("ASR", "baseline_asr_p50_ms"),
    ("whole reply", "baseline_whole_reply_p50_ms"),
    ("whole speech", "baseline_whole_speech_p50_ms"),
)


def engine_bars(ratios: dict[str, object]) -> dict[str, Stages]:
    """The bars of one voice: label -> [(stage, ms)], from `engine_summary.voice_ratios`."""
    bars: dict[str, Stages] = {}
    if "floor_p50_ms" in ratios:
        bars["floor (stages alone)"] = [(stage, _get(ratios, key)) for stage, key in FLOOR_STAGES]
    wait = _get(ratios, "silence_wait_p50_ms")
    total = _get(ratios, "eos_to_first_audio_p50_ms")
    bars["ours"] = [("turn end", wait), ("answer after the decision", max(0.0, total - wait))]
    if "baseline_eos_to_first_audio_p50_ms" in ratios:
        bars["fastrtc ReplyOnPause"] = [(stage, _get(ratios, key)) for stage, key in BASELINE_STAGES]
    return bars


def write_engine_chart(voices: dict[str, dict[str, object]], path: Path) -> Path:
    """One panel per voice; returns the PNG's path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    figure, axes = plt.subplots(len(voices), 1, figsize=(13, 1.2 + 1.9 * len(voices)), squeeze=False)
    for axis, (voice, ratios) in zip(axes[:, 0], voices.items(), strict=True):
        bars = engine_bars(ratios)
        labels = list(bars)[::-1]
        seen: set[str] = set()
        for row, label in enumerate(labels):
            left = 0.0
            for stage, ms in bars[label]:
                axis.barh(
                    row, ms, left=left, color=COLOURS[stage], edgecolor="white", label=None if stage in seen else stage
                )
                seen.add(stage)
                left += ms
            axis.text(left + 20, row, f"{left:.0f} ms", va="center", fontsize=8)
        axis.set_yticks(range(len(labels)), labels)
        over_floor, over_baseline = ratios.get("ours_over_floor_p50"), ratios.get("ours_over_baseline_p50")
        axis.set_title(
            f"{voice}: end of speech -> first audio, p50   (ours / floor {over_floor or '-'}, "
            f"ours / ReplyOnPause {over_baseline or '-'})",
            fontsize=10,
        )
        axis.set_xlabel("ms")
        axis.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
        axis.margins(x=0.12)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
