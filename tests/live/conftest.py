"""Live-conversation fixtures: the real app with the real embedded engine, warmed once per module,
and a Chromium page whose microphone the test speaks into on cue (see stepaudio_ui.bench.live_browser)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from stepaudio_ui.package_data import packaged_folder
from tests.browser_support import RunningApp, chromium, running_app

MODEL_LOAD_TIMEOUT_S = 240  # cold load + warm-up of the embedded models on a busy 2-core machine


@pytest.fixture(scope="module")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    from stepaudio_ui.settings import Settings

    settings = Settings(
        data_dir=tmp_path_factory.mktemp("live-data"),
        seed_dir=packaged_folder("seeds"),
        warmup=True,  # the app loads the models in the background at start, as in production
        webrtc_loopback_only=True,  # the only interface here is loopback
        # One llama.cpp thread: on a shared, oversubscribed CPU two spinning threads made the first
        # token ~5x slower (16 s vs 3 s measured here), long enough for WebRTC consent to expire.
        llm_threads=1,
        _env_file=None,
    )
    with running_app(settings) as app:
        engine = app.ctx.engines["embedded"]
        deadline = time.monotonic() + MODEL_LOAD_TIMEOUT_S
        while engine.models is None:
            assert engine.availability().usable, engine.availability().reason
            assert time.monotonic() < deadline, "the embedded engine did not load its models in time"
            time.sleep(0.5)
        yield app


@pytest.fixture(scope="module")
def live_browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="session")
def clips() -> dict[str, np.ndarray]:
    """Spoken test phrases (espeak-ng, 48 kHz int16), made once."""
    from stepaudio_ui.bench.live_browser import speak

    return {
        "question": speak("What is the capital of France?"),
        "interrupt": speak("Wait, stop. Tell me about the moon instead."),
    }


@pytest.fixture
def live_page(live_browser: Any, live_app: RunningApp, clips: dict[str, np.ndarray]) -> Iterator[Any]:
    """The Live tab with Sam (support persona) and the support-desk scene chosen, clips loaded."""
    from stepaudio_ui.bench.live_browser import AUDIO_TAP_JS, LivePage

    context = live_browser.new_context(viewport={"width": 1400, "height": 1100})
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.add_init_script(AUDIO_TAP_JS)
    page.goto(live_app.url)
    live = LivePage(page)
    live.show()
    live.choose("live-persona", "Sam (sam-support)")
    live.choose("live-scene", "Support desk (support-desk)")
    for name, samples in clips.items():
        live.load_clip(name, samples)
    try:
        yield live
    finally:
        context.close()


@pytest.fixture
def shots(output_dir: Path) -> Path:
    folder = output_dir / "live"
    folder.mkdir(exist_ok=True)
    return folder
