"""`bench brain`'s table and verdicts: every brain side by side, and how each compares with SmolLM2-135M
(the brain the embedded engine shipped with) in the same run."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from model.embedded.reply.brains import SMOLLM2_ID
from stepaudio_ui.bench.brain_scores import QUALITY_HIGHER, QUALITY_LOWER, LanguageSummary

COLUMNS = (
    ("lang ok", "language_right", 2),
    ("len ok", "length_ok", 2),
    ("words", "mean_words", 0),
    ("loops", "loops", 2),
    ("relevant", "relevant", 2),
    ("in-char", "in_character", 2),
    ("ttft ms", "ttft_p50_ms", 0),
    ("tok/s", "tokens_per_s_p50", 1),
    ("dec->audio ms", "decision_to_first_audio_p50_ms", 0),
)
CHINESE_TARGET = 0.9
FIRST_AUDIO_RATIO_TARGET = 1.3
LONG_TARGET = 0.9


def _show(value: object, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _summary(result: dict[str, Any], language: str) -> LanguageSummary:
    values = {k: v for k, v in result[language].items() if k in LanguageSummary.__dataclass_fields__}
    return LanguageSummary(**values)


def long_figures(result: dict[str, Any]) -> dict[str, float | None]:
    """In-character by turn averaged over the long conversations: last turn over first, last three over
    first three (steadier), and the share of replies repeating an earlier one."""
    runs = [run["in_character_by_turn"] for run in result["long"] if run["in_character_by_turn"]]
    if not runs:
        return {"turn_last_over_first": None, "last3_over_first3": None, "repeat_share": None}
    length = min(len(run) for run in runs)
    mean = [sum(run[i] for run in runs) / len(runs) for i in range(length)]
    replies = sum(len(run["replies"]) for run in result["long"])
    return {
        "turn_last_over_first": round(mean[-1] / mean[0], 2) if mean[0] > 0 else None,
        "last3_over_first3": round(sum(mean[-3:]) / sum(mean[:3]), 2) if sum(mean[:3]) > 0 else None,
        "repeat_share": round(sum(run["repeats"] for run in result["long"]) / replies, 3) if replies else None,
        "turns": length,
    }


def verdicts(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Each brain against SmolLM2 in this run: every English quality column at least as good, Chinese turns
    answered in Chinese, and decision -> first audio p50 as a ratio of SmolLM2's."""
    baseline = next((r for r in results if r["brain"] == SMOLLM2_ID), None)
    out: dict[str, Any] = {}
    for result in results:
        english, chinese = _summary(result, "en"), _summary(result, "zh")
        entry: dict[str, Any] = {"chinese_in_chinese": chinese.language_right, "long": long_figures(result)}
        if baseline is not None and result is not baseline and english.turns and _summary(baseline, "en").turns:
            base = _summary(baseline, "en")
            entry["english_vs_smollm2"] = {
                column: _at_least(getattr(english, column), getattr(base, column), lower=column in QUALITY_LOWER)
                for column in (*QUALITY_HIGHER, *QUALITY_LOWER)
            }
            ours = _first_audio(result)
            theirs = _first_audio(baseline)
            entry["first_audio_ratio_vs_smollm2"] = round(ours / theirs, 2) if ours and theirs else None
        out[result["brain"]] = entry
    return out


def _at_least(value: float | None, baseline: float | None, *, lower: bool) -> bool:
    if value is None or baseline is None:
        return False
    return value <= baseline if lower else value >= baseline


def _first_audio(result: dict[str, Any]) -> float | None:
    """Decision -> first audio p50 over every turn of the set (both languages), from the replies."""
    values = sorted(
        reply["decision_to_first_audio_ms"]
        for language in ("en", "zh")
        for reply in result[language]["replies"]
        if reply.get("decision_to_first_audio_ms") is not None
    )
    return values[len(values) // 2] if values else None


def print_report(
    results: list[dict[str, Any]], verdict: dict[str, Any], stored: dict[str, Any] | None, out: Path
) -> None:
    write = sys.stdout.write
    header = f"{'brain':<20} {'lang':<4} {'turns':>5} " + " ".join(f"{name:>13}" for name, _, _ in COLUMNS)
    write(header + f" {'mem MB':>7}\n" + "-" * (len(header) + 8) + "\n")
    for result in results:
        for language in ("en", "zh"):
            summary = result[language]
            if not summary["turns"]:
                continue
            cells = " ".join(f"{_show(summary[key], digits):>13}" for _, key, digits in COLUMNS)
            write(
                f"{result['brain']:<20} {language:<4} {summary['turns']:>5} {cells} {result['memory_added_mb']:>7.0f}\n"
            )
    write("\nlong conversations (in-character by turn, averaged over personas)\n")
    for result in results:
        figures = verdict[result["brain"]]["long"]
        if figures.get("turns"):
            write(
                f"{result['brain']:<20} turns {figures['turns']:>2}  turn last/first {_show(figures['turn_last_over_first'], 2)}"
                f"  last3/first3 {_show(figures['last3_over_first3'], 2)} (target >= {LONG_TARGET})"
                f"  replies repeating an earlier one {_show(figures['repeat_share'], 2)}\n"
            )
    write("\nagainst smollm2-135m in this run\n")
    for brain, entry in verdict.items():
        if "english_vs_smollm2" not in entry:
            continue
        english = entry["english_vs_smollm2"]
        worse = [column for column, ok in english.items() if not ok]
        write(
            f"{brain:<20} English quality: {'at least as good on every column' if not worse else 'worse on ' + ', '.join(worse)}; "
            f"Chinese turns in Chinese {_show(entry['chinese_in_chinese'], 2)} (target >= {CHINESE_TARGET}); "
            f"decision->first audio {_show(entry['first_audio_ratio_vs_smollm2'], 2)}x SmolLM2's "
            f"(target <= {FIRST_AUDIO_RATIO_TARGET})\n"
        )
    if stored:
        write("\nstored as quality runs (compare two with `stepaudio-ui check --compare A B`):\n")
        for brain, runs in stored.items():
            write(f"  {brain}: " + ", ".join(f"{persona} #{run_id}" for persona, run_id in runs.items()) + "\n")
    write(f"\nJSON: {out}\n")
