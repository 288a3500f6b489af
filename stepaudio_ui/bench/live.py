"""`stepaudio-ui bench live`: talk to a persona through a real Chromium and time what the ear gets.

Starts the app (loopback WebRTC, the real embedded engine), opens the Live tab in headless Chromium,
and for each turn speaks a question into the page's microphone. If the previous reply is still
playing, that question is also a barge-in: the time until the reply goes quiet in the browser is its
stop time. End of speech is when the clip ends in the microphone (exact, on the page's clock); the
reply is "audible" at the first remote sample above the threshold. Prints p50/p95, then the ratios of
the run (`live_ratios`: the ear's wait over the floor of the same turns, the barge-in stop beside the
VAD's own detection time on the same clips), then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from model.events import TurnDetection
from stepaudio_ui.bench.live_app import (
    choose_slug,
    newest_conversation,
    out,
    persona_voice,
    serve_app,
    server_timings,
    use_voice,
    wait_for_models,
)
from stepaudio_ui.bench.live_browser import AUDIO_TAP_JS, CHROMIUM, LivePage, chromium_args, percentile, speak
from stepaudio_ui.bench.live_needs import missing_for_live
from stepaudio_ui.bench.live_ratios import conversation_config, live_floors, vad_detection_ms
from stepaudio_ui.bench.live_receiver import PageCpu, Playout

logger = logging.getLogger(__name__)
BARGE_IN_ALLOWANCE_MS = 100  # the target: the reply is silent within the VAD's detection time + this


QUESTIONS = (
    "What is the capital of France?",
    "My internet is very slow today.",
    "Can you restart my router?",
    "How long will the repair take?",
    "Is there an outage in my area?",
    "What does the red light mean?",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--turns", type=int, default=10, help="spoken turns (at least 10 for the report)")
    parser.add_argument("--persona", default="sam-support", help="persona slug")
    parser.add_argument("--scene", default="support-desk", help="scene tone slug")
    parser.add_argument(
        "--voice", default=None, help="speak with this voice: a new published version of the persona (scratch data)"
    )
    parser.add_argument("--reply-timeout", type=float, default=60.0, help="seconds to wait for a reply")
    parser.add_argument(
        "--talk-over-after", type=float, default=1.0, help="seconds of reply heard before the next question"
    )
    parser.add_argument("--threshold", type=float, default=0.01, help="RMS level counted as audible")
    parser.add_argument("--screenshot", type=Path, default=None, help="save a screenshot of the page at the end")


def _playing_before(live: LivePage, at_ms: float, threshold: float) -> bool:
    return bool(
        live.page.evaluate(
            """([at, threshold]) => window.__audioTap.remote.some(([t, level]) => t > at - 120 && t <= at && level >= threshold)""",
            [at_ms, threshold],
        )
    )


def _wait_quiet(live: LivePage, since_ms: float, threshold: float, timeout_s: float) -> float | None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        quiet_at = live.quiet_since(since_ms, quiet_ms=500, threshold=threshold)
        if quiet_at is not None:
            return quiet_at
        time.sleep(0.1)
    return None


def _talk(live: LivePage, args: argparse.Namespace) -> tuple[list[float], list[float]]:
    eos_to_audio: list[float] = []
    bargein: list[float] = []
    for turn in range(args.turns):
        name = f"q{turn % len(QUESTIONS)}"
        said = live.say(name)
        talked_over = _playing_before(live, said["start"], args.threshold)
        listen_from = said["end"]
        if talked_over:
            quiet_at = _wait_quiet(live, said["start"], args.threshold, timeout_s=15)
            if quiet_at is not None:
                bargein.append(max(0.0, quiet_at - said["start"]))
                listen_from = max(listen_from, quiet_at + 1)
        time.sleep(max(0.0, (said["end"] - live.now_ms()) / 1000))
        reply_at = live.wait_for_remote_audio(listen_from, timeout_s=args.reply_timeout, threshold=args.threshold)
        latency = None if reply_at is None else reply_at - said["end"]
        if latency is not None:
            eos_to_audio.append(latency)
        stop = f"{bargein[-1]:.0f} ms" if talked_over and bargein else "-"
        out(
            f"turn {turn + 1:2d}: end of speech -> audible reply "
            f"{'no reply' if latency is None else f'{latency:.0f} ms'}; barge-in stop {stop}",
        )
        if reply_at is not None:
            time.sleep(args.talk_over_after)  # hear a little of it, then talk over it (not in a pause)
            live.wait_until_playing(timeout_s=5, threshold=args.threshold)
    return eos_to_audio, bargein


STAGES = (  # (name, from mark, to mark) in the engine's per-turn timings
    ("silence_wait", "speech_end_ms", "turn_decided_ms"),
    ("asr", "turn_decided_ms", "asr_done_ms"),
    ("llm_first_token", "asr_done_ms", "llm_first_token_ms"),
    ("first_phrase_audio", "llm_first_token_ms", "first_audio_ms"),
)


def _stage_start(timings: dict[str, float], start: str, end: str) -> float:
    """A reply started early (at the speaker's pause) asked the chat model before ASR was "done"."""
    if end == "llm_first_token_ms" and timings.get("reply_started_ms"):
        return min(timings["reply_started_ms"], timings[start])
    return timings[start]


def _stage_medians(server: list[dict[str, float]]) -> dict[str, float | None]:
    """p50 of each stage of the engine's turn, so a slow total says where its time went."""
    medians: dict[str, float | None] = {}
    for name, start, end in STAGES:
        spans = [t[end] - _stage_start(t, start, end) for t in server if t.get(start) and t.get(end)]
        medians[f"server_{name}_p50_ms"] = _round(percentile(spans, 50))
    return medians


def run(args: argparse.Namespace, settings: Any) -> int:
    if missing := missing_for_live():
        sys.stderr.write(f"stepaudio-ui: {missing}\n")
        return 1
    from playwright.sync_api import sync_playwright

    if args.turns < 1:
        sys.stderr.write("stepaudio-ui: --turns must be at least 1\n")
        return 2
    # A scratch data directory: benchmark conversations must not fill the real History.
    scratch = tempfile.TemporaryDirectory(prefix="bench-live-")
    settings = settings.model_copy(
        update={"webrtc_loopback_only": True, "warmup": True, "data_dir": Path(scratch.name), "database_url": None}
    )
    server, ctx, url = serve_app(settings)
    try:
        out(f"app at {url}; loading the embedded models…")
        wait_for_models(ctx)
        if args.voice:
            use_voice(ctx, args.persona, args.voice)
        clips = {f"q{i}": speak(text) for i, text in enumerate(QUESTIONS)}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=chromium_args())
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1100}, locale="en-US")  # English words
                page.set_default_timeout(30_000)
                page.add_init_script(AUDIO_TAP_JS)
                page.goto(url)
                live = LivePage(page)
                live.show()
                choose_slug(page, "live-persona", args.persona)
                choose_slug(page, "live-scene", args.scene)
                for name, samples in clips.items():
                    live.load_clip(name, samples)
                live.start()
                # Let the greeting finish so the first question is a plain turn.
                greeting_at = live.wait_for_remote_audio(live.now_ms() - 1000, timeout_s=args.reply_timeout)
                if greeting_at is not None:
                    _wait_quiet(live, greeting_at, args.threshold, timeout_s=args.reply_timeout)
                page_cpu = PageCpu(page)
                page_cpu.start()
                eos_to_audio, bargein = _talk(live, args)
                page_cpu.stop()
                stats = live.inbound() or {}
                if args.screenshot:
                    page.screenshot(path=str(args.screenshot), full_page=True)
                live.stop()
            finally:
                browser.close()
        time.sleep(1.0)  # let the conversation's last turns reach the store
        view = newest_conversation(ctx)
        models = ctx.engines["embedded"].models
        config = conversation_config(ctx, view)  # the scene's own turn detection is what the engine used
        detection = config.turn_detection or TurnDetection()
        detection_ms = [ms for clip in clips.values() if (ms := vad_detection_ms(models, clip, detection))]
        floors = live_floors(ctx, view, config, clips, dict(zip(clips, QUESTIONS, strict=True)))
        _report(
            eos_to_audio,
            bargein,
            server_timings(view),
            Playout.from_inbound(stats.get("inbound")),
            page_cpu,
            args.turns,
        )
        _report_ratios(args.voice or persona_voice(ctx, args.persona), eos_to_audio, floors, bargein, detection_ms)
    finally:
        server.should_exit = True
        time.sleep(0.5)
        scratch.cleanup()
    return 0 if eos_to_audio else 1


def _report(
    eos_to_audio: list[float],
    bargein: list[float],
    server_turns: list[dict[str, float]],
    playout: Playout,
    page_cpu: PageCpu,
    turns: int,
) -> None:
    server = [t["first_audio_ms"] - t["speech_end_ms"] for t in server_turns]
    stages = _stage_medians(server_turns)

    def fmt(value: float | None) -> str:
        return "-" if value is None else f"{value:.0f} ms"

    out(f"answered turns: {len(eos_to_audio)}/{turns}")
    out(
        f"browser: end of speech -> audible reply p50 {fmt(percentile(eos_to_audio, 50))}, "
        f"p95 {fmt(percentile(eos_to_audio, 95))}"
    )
    out(
        f"browser: barge-in stop p50 {fmt(percentile(bargein, 50))}, p95 {fmt(percentile(bargein, 95))} (n={len(bargein)})"
    )
    out(f"engine:  end of speech -> first audio sent p50 {fmt(percentile(server, 50))} (n={len(server)})")
    out("engine:  stages p50: " + ", ".join(f"{name} {fmt(stages[f'server_{name}_p50_ms'])}" for name, _, _ in STAGES))
    out(
        f"browser: jitter buffer mean delay {fmt(playout.mean_delay_ms)}, target {fmt(playout.target_delay_ms)}; "
        f"{playout.concealment_events} concealment events (audio arrived too late to play on time)"
    )
    out(
        f"browser: page CPU {_share(page_cpu.renderer_cpu)} of a core, main thread busy {_share(page_cpu.main_thread_busy)}"
    )
    result = {
        "browser_eos_to_audio_p50_ms": _round(percentile(eos_to_audio, 50)),
        "browser_eos_to_audio_p95_ms": _round(percentile(eos_to_audio, 95)),
        "bargein_stop_p50_ms": _round(percentile(bargein, 50)),
        "bargein_stop_p95_ms": _round(percentile(bargein, 95)),
        "server_eos_to_first_audio_p50_ms": _round(percentile(server, 50)),
        **stages,
        "jitter_buffer_mean_ms": _round(playout.mean_delay_ms),
        "jitter_buffer_target_ms": _round(playout.target_delay_ms),
        "concealment_events": playout.concealment_events,
        "page_renderer_cpu_cores": None if page_cpu.renderer_cpu is None else round(page_cpu.renderer_cpu, 3),
        "page_main_thread_busy": None if page_cpu.main_thread_busy is None else round(page_cpu.main_thread_busy, 3),
        "turns": turns,
        "answered": len(eos_to_audio),
        "bargeins": len(bargein),
    }
    out(json.dumps(result))


def _share(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _report_ratios(
    voice: str, eos_to_audio: list[float], floors: list[Any], bargein: list[float], detection_ms: list[float]
) -> None:
    """The ratios of this run (see `live_ratios`), then their JSON line."""
    totals = [f.total_ms for f in floors if f.total_ms is not None]
    result: dict[str, Any] = {"voice": voice, "floor_turns": len(totals)}
    for q in (50, 95):
        ear, floor = percentile(eos_to_audio, q), percentile(totals, q)
        result[f"floor_p{q}_ms"] = _round(floor)
        result[f"browser_over_floor_p{q}"] = None if ear is None or not floor else round(ear / floor, 3)
    for stage in ("turn_end_ms", "asr_ms", "first_token_ms", "first_phrase_ms"):
        result[f"floor_{stage[:-3]}_p50_ms"] = _round(percentile([getattr(f, stage) or 0.0 for f in floors], 50))
    detection, stop = percentile(detection_ms, 50), percentile(bargein, 50)
    result["vad_detection_p50_ms"] = _round(detection)
    result["bargein_stop_over_detection_p50_ms"] = (
        None if detection is None or stop is None else _round(stop - detection)
    )
    out(
        f"voice {voice}: browser end of speech -> audible reply over the floor (stages alone, same turns): "
        f"p50 {result['browser_over_floor_p50']}, p95 {result['browser_over_floor_p95']} "
        f"[floor p50 {result['floor_p50_ms']} ms: turn end {result['floor_turn_end_p50_ms']} + ASR "
        f"{result['floor_asr_p50_ms']} + first token {result['floor_first_token_p50_ms']} + first phrase "
        f"{result['floor_first_phrase_p50_ms']}]"
    )
    out(
        f"barge-in: reply silent in the browser p50 {_round(stop)} ms after speech onset; the VAD alone needs "
        f"{result['vad_detection_p50_ms']} ms of the same clips (target: within detection + {BARGE_IN_ALLOWANCE_MS} ms; "
        f"stop - detection = {result['bargein_stop_over_detection_p50_ms']} ms, n={len(bargein)})"
    )
    out(json.dumps(result))
