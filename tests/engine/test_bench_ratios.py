"""The ratios the benches print: computed from figures of one run, charted by matplotlib, and printed by
`bench engine` (against the floor and fastrtc's ReplyOnPause) and `bench load` as a user runs them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from model.embedded.models import EmbeddedModels
from stepaudio_ui.bench.baseline import BaselineTurn, SileroPauseModel
from stepaudio_ui.bench.chart import engine_bars, write_engine_chart
from stepaudio_ui.bench.engine_summary import voice_ratios
from stepaudio_ui.bench.first_chunk import FirstChunk, summarise_first_chunks
from stepaudio_ui.bench.floor import FloorStages
from stepaudio_ui.bench.hesitations import PAUSE_MS, with_hesitation
from stepaudio_ui.bench.turn_state import TurnResult
from stepaudio_ui.bench.utterances import CACHE_VERSION, Utterance, trim_silence
from stepaudio_ui.cli import main


def _turn(eos_ms: float | None, wait_ms: float | None = 200.0) -> TurnResult:
    return TurnResult(
        session=0, name="t", language="en", reference=None, transcript="hi", reply="hello", status="completed",
        eos_to_first_audio_ms=eos_ms, decision_to_first_audio_ms=None, silence_wait_ms=wait_ms, asr_ms=None,
        llm_ttft_ms=None, llm_tokens_per_s=None, tts_rtf=None, errors=None, reference_units=None, stall_ms=0.0,
    )  # fmt: skip


def test_ratios_compare_the_same_turns_with_their_floor_and_the_baseline() -> None:
    turns = [_turn(900.0), _turn(1_100.0), _turn(None, None)]  # the third got no reply
    floors = [FloorStages(125, 100, 200, 500), FloorStages(125, 100, 200, 600), None]
    baseline = [BaselineTurn("t", speech_end_ms=0, decided_ms=700, asr_done_ms=800, reply_written_ms=2_000,
                             first_audio_ms=3_000)]  # fmt: skip
    ratios = voice_ratios(turns, floors, baseline, silence_ms=500)
    assert ratios["answered"] == 2 and ratios["turns"] == 3
    assert ratios["floor_p50_ms"] == 975.0  # 925 and 1025
    assert ratios["ours_over_floor_p50"] == pytest.approx(1000 / 975, abs=1e-3)
    assert ratios["ours_over_baseline_p50"] == pytest.approx(1000 / 3000, abs=1e-3)
    assert ratios["wait_over_silence_p50"] == 0.4  # 200 ms of a 500 ms setting
    assert ratios["baseline_pause_wait_p50_ms"] == 700 and ratios["baseline_whole_speech_p50_ms"] == 1_000
    bars = engine_bars(ratios)
    assert list(bars) == ["floor (stages alone)", "ours", "fastrtc ReplyOnPause"]
    assert sum(ms for _, ms in bars["ours"]) == pytest.approx(1000.0)


def test_the_chart_is_drawn_by_the_plotting_library_per_voice(tmp_path: Path) -> None:
    ratios = voice_ratios([_turn(900.0)], [FloorStages(125, 100, 200, 500)], [], silence_ms=500)
    path = write_engine_chart({"jf_alpha": ratios, "joe_fast": ratios}, tmp_path / "where-the-time-goes.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_first_chunks_are_compared_with_the_opening_phrase_of_before() -> None:
    same = FirstChunk("Sure!", "Sure!", 300.0, 310.0, joined_errors=0, whole_errors=0, reference_units=5)
    shorter = FirstChunk("Paris is the", "Paris is the capital of France.", 400.0, 800.0, 1, 1, 10)
    summary = summarise_first_chunks([same, shorter])
    assert summary["first_chunk_shortened_replies"] == 1
    assert summary["first_chunk_over_opener_shortened_p50"] == 0.5
    assert summary["first_chunk_joined_wer"] == summary["first_chunk_whole_wer"] == pytest.approx(1 / 15, abs=1e-4)


def test_a_hesitation_widens_the_pause_the_voice_left() -> None:
    rate = 16_000
    tone = 0.3 * np.sin(np.linspace(0, 400 * np.pi, rate // 2)).astype(np.float32)
    audio = np.concatenate([tone, np.zeros(rate // 20, dtype=np.float32), tone])  # 50 ms between two "words"
    hesitant = with_hesitation(audio, rate, at_fraction=0.5)
    pause = rate * PAUSE_MS // 1000
    assert abs(hesitant.size - (2 * tone.size + pause)) <= rate // 100  # the 50 ms became the pause (10 ms frames)
    silent = np.flatnonzero(hesitant == 0)
    assert silent.size >= pause and not np.any(hesitant[silent[0] : silent[0] + pause])


@pytest.mark.models
def test_fastrtc_pause_detection_runs_on_our_silero(embedded_models: EmbeddedModels, utterances: dict) -> None:
    model = SileroPauseModel(embedded_models.vad_model)
    speech = trim_silence(utterances["en_capital"].audio)
    speech_s, chunks = model.vad((24_000, speech), None)
    assert speech_s > 1.0 and chunks
    assert model.vad((16_000, np.zeros(16_000, dtype=np.float32)), None)[0] == 0.0


def _one_question(output_dir: Path, tmp_path: Path) -> Path:
    """The `utterances` fixture's en_capital, alone in a folder (made once per test run)."""
    folder = tmp_path / "one"
    folder.mkdir()
    made = output_dir / "engine" / f"utterances-{CACHE_VERSION}"
    for suffix in (".wav", ".txt"):
        shutil.copy(made / f"en_capital{suffix}", folder / f"en_capital{suffix}")
    return folder


@pytest.mark.models
def test_bench_engine_prints_every_ratio_of_one_run(
    utterances: dict[str, Utterance], output_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chart = tmp_path / "report.png"
    argv = ["--data-dir", str(tmp_path), "bench", "engine", "--inputs", str(_one_question(output_dir, tmp_path))]
    argv += ["--voice", "joe_fast", "--max-sentences", "1", "--baseline", "--hesitations", "2", "--report", str(chart)]
    code = main(argv)
    out = capsys.readouterr().out
    (output_dir / "bench-engine-ratios.txt").write_text(out, encoding="utf-8")
    assert code == 0, out
    summary: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    ratios = summary["voices"]["joe_fast"]
    for key in ("ours_over_floor_p50", "ours_over_floor_p95", "ours_over_baseline_p50", "ours_over_baseline_p95"):
        assert ratios[key] is not None and ratios[key] > 0, (key, ratios)
    assert ratios["floors"][0]["asr_ms"] > 0 and ratios["floors"][0]["first_phrase_ms"] > 0
    assert ratios["baseline_turns"][0]["transcript"], "the baseline heard the question"
    assert ratios["first_chunk_replies"] == 1 and ratios["first_chunk_joined_wer"] is not None
    assert ratios["wait_over_silence_p50"] is not None
    assert summary["hesitation_turns"] == 2 and summary["hesitation_cut_in_share"] is not None
    assert chart.read_bytes()[:4] == b"\x89PNG"
    for printed in (
        "over the floor",
        "over fastrtc ReplyOnPause",
        "turn-end wait over",
        "first chunk over",
        "cut into",
    ):
        assert printed in out, printed


@pytest.mark.models
def test_bench_load_reports_each_level_and_the_cost_of_a_silent_connection(
    utterances: dict[str, Utterance], output_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--data-dir", str(tmp_path), "bench", "load", "--inputs", str(_one_question(output_dir, tmp_path))]
    code = main([*argv, "--conversations", "1,2", "--turns", "1", "--idle-seconds", "2", "--voice", "joe_fast"])
    out = capsys.readouterr().out
    (output_dir / "bench-load.txt").write_text(out, encoding="utf-8")
    assert code == 0, out
    results = json.loads(out.strip().splitlines()[-1])
    levels = results["conversations"]
    assert set(levels) == {"1", "2"} and levels["1"]["over_first_level_p50"] == 1.0
    assert levels["2"]["answered"] == 2 and levels["2"]["over_first_level_p50"] > 0
    assert 0 <= levels["2"]["share_behind_playback"] <= 1
    assert results["idle_connections"] == 2 and results["idle_process_core_per_connection"] >= 0
    assert "N=2:" in out and "per open connection while the user is silent" in out
