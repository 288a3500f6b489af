"""What the Live panel shows about one conversation: transcript, per-turn latency, a status line.

Pure state, no gradio and no engine: the live handler feeds it realtime events and hands frozen
snapshots to the page (as fastrtc AdditionalOutputs). Rendering the latency chart as plain HTML keeps
it identical in screenshots and independent of any charting script the offline page cannot fetch.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from model.events import TurnTimings

# (label, colour) of each latency stage, in the order they happen after the user stops speaking.
LATENCY_STAGES: tuple[tuple[str, str], ...] = (
    ("turn decision", "#94a3b8"),
    ("ASR", "#60a5fa"),
    ("first LLM token", "#f59e0b"),
    ("first audio", "#10b981"),
)


@dataclass(frozen=True)
class TurnLatency:
    """Milliseconds spent in each stage of one turn (None where the engine did not report it)."""

    turn: int
    stages: tuple[float | None, ...]

    @property
    def total_ms(self) -> float:
        return sum(value for value in self.stages if value is not None)


def latency_from_timings(turn: int, timings: TurnTimings) -> TurnLatency | None:
    """Stage durations from the epoch-ms marks of `TurnTimings`; None for a turn nobody spoke
    (a greeting or typed text has no end of speech and no ASR) or one that produced no audio."""
    if not timings.speech_end_ms or timings.asr_done_ms is None or timings.first_audio_ms is None:
        return None
    marks = [timings.speech_end_ms, timings.turn_decided_ms, timings.asr_done_ms, timings.llm_first_token_ms]
    marks.append(timings.first_audio_ms)
    stages: list[float | None] = []
    previous = marks[0]
    for mark in marks[1:]:
        if mark is None:
            stages.append(None)
            continue
        stages.append(max(0.0, mark - previous))
        previous = mark
    return TurnLatency(turn=turn, stages=tuple(stages))


@dataclass
class TranscriptLine:
    role: str  # "user" | "assistant"
    text: str
    interrupted: bool = False
    pending: bool = False  # still being spoken / transcribed


@dataclass(frozen=True)
class ViewSnapshot:
    """Everything the page needs to redraw the conversation, sent as one AdditionalOutputs."""

    messages: tuple[dict[str, str], ...]
    latency_html: str
    status: str
    conversation_id: int | None


@dataclass
class ConversationView:
    lines: list[TranscriptLine] = field(default_factory=list)
    latencies: list[TurnLatency] = field(default_factory=list)
    status: str = "Connecting…"
    conversation_id: int | None = None

    def user_started(self) -> None:
        self._drop_pending("user")
        self.lines.append(TranscriptLine("user", "…", pending=True))

    def user_said(self, text: str) -> None:
        for line in reversed(self.lines):
            if line.role == "user" and line.pending:
                line.text, line.pending = text, False
                return
        self.lines.append(TranscriptLine("user", text))

    def assistant_started(self) -> None:
        self.lines.append(TranscriptLine("assistant", "", pending=True))

    def assistant_delta(self, text: str) -> None:
        line = self._current_assistant()
        if line is None:
            self.assistant_started()
            line = self.lines[-1]
        line.text += text  # deltas carry their own spaces (the realtime protocol's contract)

    def assistant_finished(self, *, interrupted: bool) -> None:
        line = self._current_assistant()
        if line is not None:
            line.pending = False
            line.interrupted = interrupted

    def mark_interrupted(self) -> None:
        line = self._current_assistant()
        if line is not None:
            line.interrupted = True

    def add_latency(self, timings: TurnTimings) -> None:
        latency = latency_from_timings(len(self.latencies) + 1, timings)
        if latency is not None:
            self.latencies.append(latency)

    def snapshot(self) -> ViewSnapshot:
        messages = tuple(_message(line) for line in self.lines if line.text.strip() or line.pending)
        return ViewSnapshot(messages, render_latency_chart(self.latencies), self.status, self.conversation_id)

    def _current_assistant(self) -> TranscriptLine | None:
        for line in reversed(self.lines):
            if line.role == "assistant":
                return line
        return None

    def _drop_pending(self, role: str) -> None:
        self.lines = [line for line in self.lines if not (line.role == role and line.pending and line.text == "…")]


def _message(line: TranscriptLine) -> dict[str, str]:
    text = line.text or "…"
    if line.interrupted:
        text += " ⟂ (interrupted)"
    return {"role": line.role, "content": text}


def render_latency_chart(latencies: list[TurnLatency], *, last: int = 12) -> str:
    """A stacked horizontal bar per turn (end of speech → first audio), with a legend and totals."""
    if not latencies:
        return "<div class='live-latency'><p>Per-turn latency appears here after the first spoken turn.</p></div>"
    shown = latencies[-last:]
    scale = max(max(item.total_ms for item in shown), 1.0)
    legend = "".join(
        f"<span style='margin-right:12px'><span style='display:inline-block;width:10px;height:10px;"
        f"background:{colour}'></span> {html.escape(label)}</span>"
        for label, colour in LATENCY_STAGES
    )
    rows = []
    for item in shown:
        segments = "".join(
            f"<div title='{html.escape(label)}: {value:.0f} ms' style='width:{100 * value / scale:.2f}%;"
            f"background:{colour};height:14px'></div>"
            for (label, colour), value in zip(LATENCY_STAGES, item.stages, strict=True)
            if value
        )
        detail = ", ".join(
            f"{label} {value:.0f}"
            for (label, _), value in zip(LATENCY_STAGES, item.stages, strict=True)
            if value is not None
        )
        rows.append(
            f"<div class='live-latency-row' data-total-ms='{item.total_ms:.0f}' style='display:flex;align-items:center;gap:8px;margin:3px 0'>"
            f"<span style='width:52px'>turn {item.turn}</span>"
            f"<div style='flex:1;display:flex;background:#f1f5f9'>{segments}</div>"
            f"<span style='width:76px;text-align:right' title='{html.escape(detail)}'><b>{item.total_ms:.0f} ms</b></span></div>"
        )
    return (
        "<div class='live-latency'><div style='font-size:12px;margin-bottom:4px'>"
        f"End of speech → first audio sent, per turn (ms). {legend}</div>{''.join(rows)}</div>"
    )
