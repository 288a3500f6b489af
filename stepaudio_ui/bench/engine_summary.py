"""What `bench engine` reports: per-turn table, p50/p95 of every stage, and the ratios of one run.

The ratios compare figures measured side by side in the same run, so they hold on any machine where
absolute times do not (see README, Performance): per voice, end of speech -> first audio over the
critical-path floor (`floor`) and over fastrtc's `ReplyOnPause` on the same turns (`baseline`); the
turn-end wait over the configured silence; the first chunk's synthesis over the opening phrase of
before (`first_chunk`); and the share of hesitations an early end of turn cut into (`turn_end`).
"""

from __future__ import annotations

import resource
from dataclasses import asdict

import numpy as np

from stepaudio_ui.bench.baseline import BaselineTurn
from stepaudio_ui.bench.floor import FloorStages
from stepaudio_ui.bench.turn_state import TurnResult


def _percentile(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 3) if values else None


STALL_REPORTED_MS = 100  # a silence inside a reply that a listener notices


def summarise(turns: list[TurnResult], sessions: int, load_s: float | None) -> dict[str, object]:
    def values(field: str) -> list[float]:
        return [v for t in turns if (v := getattr(t, field)) is not None]

    def rate(language: str) -> float | None:
        scored = [t for t in turns if t.errors is not None and t.language == language and t.reference_units]
        total = sum(t.reference_units or 0 for t in scored)
        return round(sum(t.errors or 0 for t in scored) / total, 4) if total else None

    summary: dict[str, object] = {
        "sessions": sessions,
        "turns_total": len(turns),
        "model_load_s": round(load_s, 2) if load_s is not None else None,
    }
    for field, key in (
        ("eos_to_first_audio_ms", "eos_to_first_audio"),
        ("decision_to_first_audio_ms", "decision_to_first_audio"),
        ("silence_wait_ms", "silence_wait"),
        ("asr_ms", "asr"),
        ("llm_ttft_ms", "llm_ttft"),
    ):
        summary[f"{key}_p50_ms"] = _percentile(values(field), 50)
        summary[f"{key}_p95_ms"] = _percentile(values(field), 95)
    # Replies that open with a phrase spoken before ("Sure!") start at once: give both kinds apart.
    uncached = [t.decision_to_first_audio_ms for t in turns if t.first_phrase_cached is False]
    summary["first_phrase_cached_turns"] = sum(1 for t in turns if t.first_phrase_cached)
    summary["started_early_turns"] = sum(1 for t in turns if t.started_early)
    summary["decision_to_first_audio_uncached_p50_ms"] = _percentile([v for v in uncached if v is not None], 50)
    summary["asr_wer"] = rate("en")
    summary["asr_cer_zh"] = rate("zh")
    summary["llm_tokens_per_s"] = _percentile(values("llm_tokens_per_s"), 50)
    summary["tts_rtf_p50"] = _percentile(values("tts_rtf"), 50)
    summary["tts_rtf_p95"] = _percentile(values("tts_rtf"), 95)
    stalls = values("stall_ms")
    summary["reply_stall_p50_ms"] = _percentile(stalls, 50)
    summary["reply_stall_p95_ms"] = _percentile(stalls, 95)
    summary["replies_with_stalls"] = sum(1 for v in stalls if v >= STALL_REPORTED_MS)
    summary["replies_completed"] = sum(1 for t in turns if t.status == "completed")
    summary["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    summary["turns"] = [asdict(t) for t in turns]
    return summary


def table(turns: list[TurnResult]) -> list[str]:
    def show(value: float | None, digits: int = 0) -> str:
        return "-" if value is None else f"{value:.{digits}f}"

    lines = ["sess name          eos>audio dec>audio  wait   asr  ttft  tok/s  rtf stall   err  transcript -> reply"]
    for t in turns:
        err = f"{t.errors}/{t.reference_units}" if t.errors is not None else "-"
        lines.append(
            f"{t.session:>4} {t.name[:13]:<13} {show(t.eos_to_first_audio_ms):>9}"
            f" {show(t.decision_to_first_audio_ms):>7}{'^' if t.started_early else ' '}{'*' if t.first_phrase_cached else ' '}"
            f" {show(t.silence_wait_ms):>5} {show(t.asr_ms):>5} {show(t.llm_ttft_ms):>5} {show(t.llm_tokens_per_s):>6}"
            f" {show(t.tts_rtf, 2):>4} {show(t.stall_ms):>5} {err:>5}  {t.transcript!r} -> {t.reply[:70]!r}"
        )
    lines.append("(* the reply's first phrase was spoken before: its audio came from the phrase cache;")
    lines.append(" ^ the reply was started at the speaker's pause and held until the end-of-turn decision)")
    return lines


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    return round(numerator / denominator, 3) if numerator is not None and denominator else None


def voice_ratios(
    turns: list[TurnResult],
    floors: list[FloorStages | None],
    baseline: list[BaselineTurn],
    silence_ms: int,
) -> dict[str, object]:
    """One voice's figures and ratios, on the turns of this run (floors and baseline turns in the same
    order as `turns`; either list may be empty when not measured)."""
    ours = [t.eos_to_first_audio_ms for t in turns if t.eos_to_first_audio_ms is not None]
    answered = [t.eos_to_first_audio_ms is not None for t in turns]
    # The floor is compared on the turns that have both figures, so a turn without a reply weighs on neither.
    paired = [(t.eos_to_first_audio_ms, f.total_ms) for t, f in zip(turns, floors, strict=False) if f is not None]
    paired = [(o, f) for o, f in paired if o is not None and f is not None]
    waits = [t.silence_wait_ms for t in turns if t.silence_wait_ms is not None]
    result: dict[str, object] = {
        "turns": len(turns),
        "answered": sum(answered),
        "eos_to_first_audio_p50_ms": _percentile(ours, 50),
        "eos_to_first_audio_p95_ms": _percentile(ours, 95),
        "silence_wait_p50_ms": _percentile(waits, 50),
        "wait_over_silence_p50": _ratio(_percentile(waits, 50), silence_ms),
    }
    if paired:
        measured, floor = [o for o, _ in paired], [f for _, f in paired]
        for q in (50, 95):
            result[f"floor_p{q}_ms"] = _percentile(floor, q)
            result[f"ours_over_floor_p{q}"] = _ratio(_percentile(measured, q), _percentile(floor, q))
        for stage in ("turn_end_ms", "asr_ms", "first_token_ms", "first_phrase_ms"):
            values = [v for f in floors if f is not None and (v := getattr(f, stage)) is not None]
            result[f"floor_{stage[:-3]}_p50_ms"] = _percentile(values, 50)
    theirs = [b.eos_to_first_audio_ms for b in baseline if b.eos_to_first_audio_ms is not None]
    if theirs:
        for q in (50, 95):
            result[f"baseline_eos_to_first_audio_p{q}_ms"] = _percentile(theirs, q)
            result[f"ours_over_baseline_p{q}"] = _ratio(_percentile(ours, q), _percentile(theirs, q))
        for stage in ("pause_wait_ms", "asr_ms", "whole_reply_ms", "whole_speech_ms"):
            values = [v for b in baseline if (v := b.stages()[stage]) is not None]
            result[f"baseline_{stage[:-3]}_p50_ms"] = _percentile(values, 50)
        result["baseline_answered"] = len(theirs)
    return result


def ratio_lines(voice: str, ratios: dict[str, object], silence_ms: int) -> list[str]:
    """The ratios of one voice, as printed."""

    def pair(key: str) -> str:
        return f"p50 {ratios.get(f'{key}_p50', '-')}  p95 {ratios.get(f'{key}_p95', '-')}"

    def ms(key: str) -> str:
        value = ratios.get(key)
        return "-" if value is None else f"{value:.0f} ms"

    lines = [
        f"voice {voice}: end of speech -> first audio p50 {ms('eos_to_first_audio_p50_ms')}, "
        f"p95 {ms('eos_to_first_audio_p95_ms')} ({ratios['answered']}/{ratios['turns']} answered)",
        f"  over the floor (stages alone, same turns): {pair('ours_over_floor')}"
        f"   [floor p50 {ms('floor_p50_ms')}: turn end {ms('floor_turn_end_p50_ms')} + ASR {ms('floor_asr_p50_ms')}"
        f" + first token {ms('floor_first_token_p50_ms')} + first phrase {ms('floor_first_phrase_p50_ms')}]",
    ]
    if "ours_over_baseline_p50" in ratios:
        lines.append(
            f"  over fastrtc ReplyOnPause (same turns):   {pair('ours_over_baseline')}"
            f"   [baseline p50 {ms('baseline_eos_to_first_audio_p50_ms')}: pause {ms('baseline_pause_wait_p50_ms')}"
            f" + ASR {ms('baseline_asr_p50_ms')} + whole reply {ms('baseline_whole_reply_p50_ms')}"
            f" + whole speech {ms('baseline_whole_speech_p50_ms')}]"
        )
    lines.append(
        f"  turn-end wait over the {silence_ms} ms silence setting: p50 {ratios.get('wait_over_silence_p50', '-')}"
        f" ({ms('silence_wait_p50_ms')})"
    )
    if "first_chunk_over_opener_p50" in ratios:
        lines.append(
            f"  first chunk over the opening phrase of before (synthesis alone): p50 "
            f"{ratios['first_chunk_over_opener_p50']} (shortened replies: "
            f"{ratios['first_chunk_over_opener_shortened_p50']}, {ratios['first_chunk_shortened_replies']}/"
            f"{ratios['first_chunk_replies']}); Whisper WER joined {ratios['first_chunk_joined_wer']}"
            f" vs made whole {ratios['first_chunk_whole_wer']}"
        )
    return lines
