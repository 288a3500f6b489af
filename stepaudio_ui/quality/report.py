"""Readable text for a check run and for a comparison of two runs (CLI output, UI markdown)."""

from __future__ import annotations

from stepaudio_ui.quality.compare import RunComparison
from stepaudio_ui.quality.runs import RunRecord
from stepaudio_ui.quality.scorers import CheckResult


def _result_line(result: CheckResult) -> str:
    mark = "PASS" if result.passed else "FAIL"
    score = f" {result.score:g}" if result.score is not None else ""
    wanted = f" (wanted {result.threshold})" if result.threshold else ""
    detail = f" - {result.detail}" if result.detail else ""
    return f"    [{mark}] {result.check}{score}{wanted}{detail}"


def scores_summary(run: RunRecord) -> dict[str, float]:
    """Mean of each scored check over the run's replies (e.g. in_character, speaking_rate)."""
    sums: dict[str, list[float]] = {}
    for reply in run.replies:
        for result in reply.results:
            if result.score is not None and result.check in (
                "in_character",
                "speaking_rate",
                "never_topics",
                "max_words",
            ):
                sums.setdefault(result.check, []).append(result.score)
    return {name: round(sum(values) / len(values), 3) for name, values in sums.items()}


def run_report(run: RunRecord) -> str:
    verdict = "PASSED" if run.passed else f"FAILED ({run.failed_checks} of {run.total_checks} checks)"
    lines = [
        f"Check run {run.label}: {verdict}",
        f"  Replies: {run.sampling}",
        *(f"  {line}" for line in run.voice_card.lines()),
        "",
    ]
    for reply in run.replies:
        who = "Greeting" if reply.turn_index == 0 else f"Turn {reply.turn_index}: user: {reply.user_text}"
        latency = f", first audio after {reply.latency_ms:.0f} ms" if reply.latency_ms is not None else ""
        lines.append(f"  {who}")
        lines.append(f"    reply ({reply.audio_seconds:.1f} s of audio{latency}): {reply.reply_text or '(nothing)'}")
        lines.extend(_result_line(result) for result in reply.results)
    summary = scores_summary(run)
    if summary:
        lines.append("")
        lines.append("  Mean scores: " + ", ".join(f"{name} {value:g}" for name, value in summary.items()))
    return "\n".join(lines)


def comparison_report(comparison: RunComparison) -> str:
    a, b = comparison.before, comparison.after
    lines = [f"Comparing {a.label} ({'pass' if a.passed else 'fail'}) -> {b.label} ({'pass' if b.passed else 'fail'})"]
    if a.temperature != 0 or b.temperature != 0:
        # Only two runs of the most likely replies differ because the persona, scene or engine did.
        lines.append("  Note: a sampled run took part, so a flip below may be chance rather than the change.")
    if comparison.flipped:
        lines.append("  Checks that flipped:")
        lines.extend(
            f"    turn {f.turn_index} {f.check}: {'pass' if f.before_passed else 'fail'} -> {'pass' if f.after_passed else 'fail'}"
            for f in comparison.flipped
        )
    else:
        lines.append("  No check flipped.")
    if comparison.moved:
        lines.append("  Scores that moved:")
        lines.extend(
            f"    turn {m.turn_index} {m.check}: {m.before:g} -> {m.after:g} ({m.after - m.before:+.3g})"
            for m in comparison.moved
        )
    only = [
        *(f"only in {a.label}: {key}" for key in comparison.only_before),
        *(f"only in {b.label}: {key}" for key in comparison.only_after),
    ]
    lines.extend(f"  {line}" for line in only)
    return "\n".join(lines)
