"""What the Live panel shows about one conversation: transcript, per-turn latency, a status line.

Pure state, no gradio and no engine: the live handler feeds it realtime events and hands frozen
snapshots to the page (as fastrtc AdditionalOutputs); the Live panel draws them (ui/live_latency.py
charts the latencies, ui/live_announcer.py reads finished lines to screen readers).
"""

from __future__ import annotations

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
class Notice:
    """The status line as a key of the UI's texts (stepaudio_ui/ui/i18n) and its values: the page shows it
    in the reader's language."""

    key: str
    values: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class FinishedLine:
    """A transcript line that will not change any more (what a screen reader should hear once)."""

    role: str  # "user" | "assistant"
    text: str
    interrupted: bool


@dataclass(frozen=True)
class ViewSnapshot:
    """Everything the page needs to redraw the conversation, sent as one AdditionalOutputs."""

    messages: tuple[dict[str, str], ...]
    latencies: tuple[TurnLatency, ...]
    status: Notice
    conversation_id: int | None
    last_finished: FinishedLine | None = None
    latency_changed: bool = True  # a turn was added to `latencies` since the previous snapshot


@dataclass
class ConversationView:
    lines: list[TranscriptLine] = field(default_factory=list)
    latencies: list[TurnLatency] = field(default_factory=list)
    status: Notice = Notice("live.status.connecting")
    conversation_id: int | None = None
    # Latencies in the previous snapshot (-1: none sent yet, so a new conversation clears the old chart).
    _charted: int = -1

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
        finished = next((line for line in reversed(self.lines) if not line.pending and line.text.strip()), None)
        last = FinishedLine(finished.role, finished.text.strip(), finished.interrupted) if finished else None
        changed, self._charted = len(self.latencies) != self._charted, len(self.latencies)
        return ViewSnapshot(messages, tuple(self.latencies), self.status, self.conversation_id, last, changed)

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
