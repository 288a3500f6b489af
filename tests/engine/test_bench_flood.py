"""`stepaudio-ui bench flood` as a user runs it, tiny: a warm-up, one quiet and one flooded turn, five hostile
clients. It checks that the bench reports what it promises (its keys, both phases, what the hostile clients were
told), not how fast anything was: timings on a shared machine are the bench's output, not a test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stepaudio_ui.bench.utterances import CACHE_VERSION, Utterance
from stepaudio_ui.cli import main

pytestmark = pytest.mark.models

SUMMARY_KEYS = {
    "hostile_clients",
    "turns_quiet",
    "turns_flood",
    "eos_to_first_audio_quiet_p50_ms",
    "eos_to_first_audio_flood_p50_ms",
    "flood_ratio",
    "target_ratio",
    "within_target",
    "health_checks",
    "health_failures",
    "server_kept_answering",
    "health_quiet_p50_ms",
    "health_flood_p50_ms",
    "health_flood_max_ms",
    "hostile_outcomes",
    "server_realtime",
    "turns",
}


def test_bench_flood_reports_both_phases_and_the_hostile_outcomes(
    utterances: dict[str, Utterance], output_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spoken = output_dir / "engine" / f"utterances-{CACHE_VERSION}"  # made by the `utterances` fixture
    argv = ["--data-dir", str(tmp_path), "bench", "flood", "--pairs", "1", "--hostile", "5", "--inputs", str(spoken)]
    code = main([*argv, "--json-only"])
    out = capsys.readouterr().out
    (output_dir / "bench-flood-tiny.json").write_text(out, encoding="utf-8")
    summary = json.loads(out.strip().splitlines()[-1])
    assert code == (0 if summary["server_kept_answering"] else 1)
    assert SUMMARY_KEYS <= summary.keys()
    assert summary["hostile_clients"] == 5 and summary["health_checks"] > 0
    assert [turn["phase"] for turn in summary["turns"]] == ["warm-up", "quiet", "flood"]
    assert summary["turns"][1]["transcript"]  # the good conversation really ran
    kinds = {key.split(":")[0] for key in summary["hostile_outcomes"]}
    assert kinds == {"malformed", "oversized", "slow_reading", "idle", "ui"}, summary["hostile_outcomes"]
    assert summary["server_realtime"]["refused"] + summary["server_realtime"]["errors_sent"] > 0
