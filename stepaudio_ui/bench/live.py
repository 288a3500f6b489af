"""`stepaudio-ui bench live`: talk to a persona through a real Chromium and time what the ear gets.

Starts the app (loopback WebRTC, the real embedded engine), opens the Live tab in headless Chromium,
and for each turn speaks a question into the page's microphone. If the previous reply is still
playing, that question is also a barge-in: the time until the reply goes quiet in the browser is its
stop time. End of speech is when the clip ends in the microphone (exact, on the page's clock); the
reply is "audible" at the first remote sample above the threshold. Prints p50/p95, then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from stepaudio_ui.bench.live_browser import AUDIO_TAP_JS, CHROMIUM, LivePage, chromium_args, percentile, speak
from stepaudio_ui.bench.live_needs import missing_for_live
from stepaudio_ui.bench.live_receiver import PageCpu, Playout

logger = logging.getLogger(__name__)


def _out(text: str) -> None:
    """Bench results are the command's output (stdout), not log lines."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


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


def _serve(settings: Any) -> tuple[Any, Any, str]:
    """The app on a free loopback port in a thread; returns (uvicorn server, context, url)."""
    import socket

    import uvicorn

    from stepaudio_ui.server import create_app

    app, ctx = create_app(settings)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, name="bench-live-server", daemon=True).start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the app did not start within 60 s")
        time.sleep(0.05)
    return server, ctx, f"http://127.0.0.1:{port}/"


def _wait_for_models(ctx: Any, timeout_s: float = 300) -> None:
    engine = ctx.engines["embedded"]
    deadline = time.monotonic() + timeout_s
    while engine.models is None:
        if not engine.availability().usable:
            raise RuntimeError(f"the embedded engine is not usable: {engine.availability().reason}")
        if time.monotonic() > deadline:
            raise RuntimeError("the embedded engine did not load its models in time")
        time.sleep(0.5)


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
        _out(
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


def _server_timings(ctx: Any) -> list[dict[str, float]]:
    """The engine's own stage marks (epoch ms) per answered spoken turn (from the store)."""
    from stepaudio_ui import conversations

    with ctx.db.session() as s:
        newest = conversations.list_conversations(s, limit=1)[0]
        view = conversations.get_conversation(s, conversation_id=newest.id)
    values = []
    for turn in view.turns:
        timings = turn.timings or {}
        if turn.role == "assistant" and timings.get("first_audio_ms") and timings.get("speech_end_ms"):
            if turn.index > 0:  # the greeting has no user speech before it
                values.append(timings)
    return values


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
    server, ctx, url = _serve(settings)
    try:
        _out(f"app at {url}; loading the embedded models…")
        _wait_for_models(ctx)
        if args.voice:
            _use_voice(ctx, args.persona, args.voice)
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
                _choose_slug(page, "live-persona", args.persona)
                _choose_slug(page, "live-scene", args.scene)
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
        _report(
            eos_to_audio,
            bargein,
            _server_timings(ctx),
            Playout.from_inbound(stats.get("inbound")),
            page_cpu,
            args.turns,
        )
    finally:
        server.should_exit = True
        time.sleep(0.5)
        scratch.cleanup()
    return 0 if eos_to_audio else 1


def _use_voice(ctx: Any, slug: str, voice: str) -> None:
    """Publish a version of the persona that speaks with `voice` (in the bench's scratch store only)."""
    from stepaudio_ui.studio import get_default_version, list_versions, publish_version, save_version

    with ctx.db.session() as session:
        current = get_default_version(session, kind="persona", slug=slug)
        latest = max(view.number for view in list_versions(session, kind="persona", slug=slug))
        spec = current.spec.model_copy(update={"voice": voice})
        saved = save_version(
            session, kind="persona", slug=slug, spec=spec, base_number=latest, author="bench", note=f"voice {voice}"
        )
        publish_version(session, kind="persona", slug=slug, number=saved.number)
    _out(f"persona {slug} v{saved.number} speaks with {voice}")


def _choose_slug(page: Any, elem_id: str, slug: str) -> None:
    """Pick the dropdown option whose label ends in '(slug)'."""
    page.locator(f"#{elem_id} input").click()
    options = page.get_by_role("option")
    labels = [label.strip() for label in options.all_inner_texts()]
    if not any(label.endswith(f"({slug})") for label in labels):
        raise SystemExit(f"no '{slug}' in the Live tab's list ({', '.join(labels)}): pick one of those")
    options.filter(has_text=f"({slug})").first.click()


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

    _out(f"answered turns: {len(eos_to_audio)}/{turns}")
    _out(
        f"browser: end of speech -> audible reply p50 {fmt(percentile(eos_to_audio, 50))}, "
        f"p95 {fmt(percentile(eos_to_audio, 95))}"
    )
    _out(
        f"browser: barge-in stop p50 {fmt(percentile(bargein, 50))}, p95 {fmt(percentile(bargein, 95))} (n={len(bargein)})"
    )
    _out(f"engine:  end of speech -> first audio sent p50 {fmt(percentile(server, 50))} (n={len(server)})")
    _out("engine:  stages p50: " + ", ".join(f"{name} {fmt(stages[f'server_{name}_p50_ms'])}" for name, _, _ in STAGES))
    _out(
        f"browser: jitter buffer mean delay {fmt(playout.mean_delay_ms)}, target {fmt(playout.target_delay_ms)}; "
        f"{playout.concealment_events} concealment events (audio arrived too late to play on time)"
    )
    _out(
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
    _out(json.dumps(result))


def _share(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
