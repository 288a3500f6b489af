"""`stepaudio-ui bench engine` as a user runs it: against a real /v1/realtime endpoint served by uvicorn on
a free port (the realtime tests' helpers), and refusing engines or endpoints it can't use with exit code 2."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from model.embedded.engine import EmbeddedEngine
from stepaudio_ui.bench.engine_summary import summarise
from stepaudio_ui.bench.turn_state import TurnResult, TurnState
from stepaudio_ui.bench.utterances import CACHE_VERSION, Utterance, write_wav
from stepaudio_ui.cli import main
from tests.realtime.conftest import RunningServer, build_realtime_app, free_port, serve

SUMMARY_KEYS = {
    "engine",
    "url",
    "sessions",
    "turns_total",
    "model_load_s",
    "eos_to_first_audio_p50_ms",
    "eos_to_first_audio_p95_ms",
    "decision_to_first_audio_p50_ms",
    "silence_wait_p50_ms",
    "asr_p50_ms",
    "llm_ttft_p50_ms",
    "asr_wer",
    "asr_cer_zh",
    "llm_tokens_per_s",
    "tts_rtf_p50",
    "reply_stall_p50_ms",
    "reply_stall_p95_ms",
    "replies_with_stalls",
    "replies_completed",
    "peak_rss_mb",
    "turns",
}


@pytest.fixture
def endpoint(settings: Any, engine: EmbeddedEngine) -> Iterator[RunningServer]:
    """Our /v1/realtime over the embedded engine; the bench itself waits each reply out at real time."""
    app, ctx = build_realtime_app(settings, {"embedded": engine})
    with serve(app, ctx.settings) as port:
        yield RunningServer(app=app, ctx=ctx, port=port)


@pytest.mark.models
def test_bench_measures_a_realtime_endpoint_by_url(
    endpoint: RunningServer,
    utterances: dict[str, Utterance],
    output_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    spoken = output_dir / "engine" / f"utterances-{CACHE_VERSION}"  # made by the `utterances` fixture
    argv = ["--data-dir", str(tmp_path), "bench", "engine", "--url", endpoint.url, "--inputs", str(spoken)]
    code = main([*argv, "--limit", "1", "--max-sentences", "1", "--json-only"])
    out = capsys.readouterr().out
    assert code == 0, out
    (output_dir / "bench-engine-url.json").write_text(out, encoding="utf-8")
    summary = json.loads(out.strip().splitlines()[-1])
    assert SUMMARY_KEYS <= summary.keys()
    assert summary["engine"] == "remote" and summary["url"] == endpoint.url
    assert summary["turns_total"] == 1 and summary["replies_completed"] == 1
    assert summary["eos_to_first_audio_p50_ms"] is not None and summary["eos_to_first_audio_p50_ms"] > 0
    (turn,) = summary["turns"]
    assert turn["name"] == "en_capital"
    assert "france" in turn["transcript"].lower()  # the endpoint really heard the question
    assert turn["reply"], turn
    # our endpoint sends response.timings: the engine's own stage figures come through the socket
    assert turn["timings_source"] == "server"
    assert turn["asr_ms"] is not None and turn["decision_to_first_audio_ms"] is not None
    # what the user waits (this process's clock) holds the engine's own work (the server's clock)
    assert turn["eos_to_first_audio_ms"] >= turn["decision_to_first_audio_ms"] > 0
    assert turn["stall_ms"] is not None and turn["stall_ms"] >= 0


def test_an_engine_without_its_api_key_exits_2_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STEPAUDIO_STEPFUN_API_KEY", "")
    code = main(["--data-dir", str(tmp_path), "bench", "engine", "--engine", "stepfun"])
    captured = capsys.readouterr()
    assert code == 2
    assert "no API key" in captured.err and "STEPAUDIO_STEPFUN_API_KEY" in captured.err
    assert "Traceback" not in captured.err and captured.out == ""


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--engine", "no-such-engine"], "no engine named 'no-such-engine': use one of"),
        (["--url", "http://127.0.0.1:1/v1/realtime"], "is not a WebSocket URL"),
        (["--url", "ws://127.0.0.1:{port}/v1/realtime", "--limit", "1"], "could not connect"),
    ],
)
def test_targets_that_cannot_be_measured_exit_2_naming_the_problem(
    args: list[str], expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spoken = tmp_path / "spoken"  # a connection is tried only after the inputs are read: give one
    spoken.mkdir()
    write_wav(spoken / "beep.wav", np.zeros(2400, dtype=np.float32))
    args = [arg.replace("{port}", str(free_port())) for arg in args]
    code = main(["--data-dir", str(tmp_path), "bench", "engine", *args, "--inputs", str(spoken)])
    captured = capsys.readouterr()
    assert code == 2, captured
    assert expected in captured.err
    assert "Traceback" not in captured.err


def test_a_reply_that_stalls_mid_way_is_counted_as_heard() -> None:
    """Audio arriving after everything before it has played out is a silence the listener hears."""
    state = TurnState()
    state.heard_audio(1_000.0, 500.0, "a")  # plays 1000-1500
    state.heard_audio(1_200.0, 500.0, "a")  # queued behind it: plays 1500-2000, no stall
    state.heard_audio(2_010.0, 300.0, "a")  # 10 ms late: scheduling jitter, not counted
    assert state.stall_ms == 0
    state.heard_audio(3_000.0, 400.0, "a")  # the queue ran dry at 2310: 690 ms of silence
    assert state.stall_ms == pytest.approx(690.0)
    state.heard_audio(5_000.0, 100.0, "b")  # a new reply (the speaker went on): its wait is not a stall
    assert state.stall_ms == pytest.approx(690.0)
    assert state.audio_ms == pytest.approx(1_800.0)
    # The speaker went on after a pause that ended a turn: the reply cut off there is not the answer.
    state.heard_end = True
    state.ours.add("b")
    state.speaker_went_on()
    assert state.first_audio_at_ms is None and not state.ours and state.audio_ms == state.stall_ms == 0
    summary = summarise([_turn(stall_ms=0.0), _turn(stall_ms=690.0), _turn(stall_ms=None)], sessions=1, load_s=None)
    assert summary["replies_with_stalls"] == 1
    assert summary["reply_stall_p95_ms"] > summary["reply_stall_p50_ms"] >= 0


def _turn(stall_ms: float | None) -> TurnResult:
    return TurnResult(
        session=0, name="t", language="en", reference=None, transcript="hi", reply="hello", status="completed",
        eos_to_first_audio_ms=900.0, decision_to_first_audio_ms=600.0, silence_wait_ms=None, asr_ms=None,
        llm_ttft_ms=None, llm_tokens_per_s=None, tts_rtf=None, errors=None, reference_units=None, stall_ms=stall_ms,
    )  # fmt: skip


@pytest.mark.models
def test_bench_brain_runs_brains_side_by_side_and_writes_json(
    settings: Any, embedded_models: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The smallest run a user can ask for: two brains (the default and SmolLM2), one turn each, a 2-turn long
    conversation; the table names both, the JSON holds each reply and the verdict against SmolLM2."""
    out = tmp_path / "brain.json"
    argv = ["--data-dir", str(settings.data_dir), "bench", "brain", "--brains", "smollm2-135m,qwen2.5-coder-0.5b"]
    argv += ["--turns", "1", "--long-turns", "2", "--long-personas", "nova-in-car", "--out", str(out), "--store"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "smollm2-135m" in printed and "qwen2.5-coder-0.5b" in printed and "decision->first audio" in printed
    report = json.loads(out.read_text(encoding="utf-8"))
    by_brain = {result["brain"]: result for result in report["brains"]}
    assert set(by_brain) == {"smollm2-135m", "qwen2.5-coder-0.5b"}
    for result in by_brain.values():
        (reply,) = result["en"]["replies"]
        assert reply["user"] == "Find me a charger nearby." and reply["reply"]
        assert len(result["long"][0]["in_character_by_turn"]) == 2
    assert "english_vs_smollm2" in report["verdicts"]["qwen2.5-coder-0.5b"]
    assert set(report["stored_runs"]) == set(by_brain), "each brain's replies are a quality run to compare"
    assert main(["--data-dir", str(settings.data_dir), "bench", "brain", "--brains", "gpt-9"]) != 0


@pytest.mark.models
def test_bench_brain_runs_a_brain_with_and_without_the_copy_guard_side_by_side(
    settings: Any, embedded_models: Any, tmp_path: Path
) -> None:
    """What the copy guard does is measured in one run: the brain as it is, and again with the guard off."""
    out = tmp_path / "guard.json"
    argv = ["--data-dir", str(settings.data_dir), "bench", "brain", "--brains", "qwen2.5-coder-0.5b"]
    argv += ["--without-copy-guard", "--turns", "0", "--long-turns", "2", "--long-personas", "xiaoxing-service"]
    assert main([*argv, "--out", str(out), "--json-only"]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    by_brain = {result["brain"]: result for result in report["brains"]}
    assert set(by_brain) == {"qwen2.5-coder-0.5b", "qwen2.5-coder-0.5b-no-copy-guard"}
    for result in by_brain.values():
        (conversation,) = result["long"]
        assert len(conversation["replies"]) == 2 and all(conversation["replies"])
    assert set(report["verdicts"]) == set(by_brain)
