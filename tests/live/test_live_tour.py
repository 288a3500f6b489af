"""The studio features that need the real embedded engine, in a real Chromium: a conversation started and
stopped from the keyboard, its finished lines read to screen readers, its latency charted, each turn's
audio kept; and the persona editor's voice and greeting previews.
"""

from __future__ import annotations

import io
import re
import time
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import expect

from stepaudio_ui.live.session import conversation_audio_dir
from stepaudio_ui.live.turn_audio import TurnClip, read_clip
from tests.browser_support import open_from_list, open_studio, tab
from tests.live.test_live_browser import REPLY_TIMEOUT_S, wait_for_end, wait_until_quiet

pytestmark = [pytest.mark.browser, pytest.mark.models]


def announced(page: Any) -> str:
    return page.locator("#live-announcer").inner_text().strip()


def wait_for_announcement(page: Any, pattern: str, *, timeout_s: float = REPLY_TIMEOUT_S) -> str:
    """The screen-reader region's text once it matches `pattern` (it holds one line at a time)."""
    deadline = time.monotonic() + timeout_s
    while not re.search(pattern, text := announced(page)):
        assert time.monotonic() < deadline, f"never announced {pattern!r}; last: {text!r}"
        time.sleep(0.2)
    return text


def wait_connected(live: Any, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while (stats := live.inbound()) is None or stats["state"] != "connected":
        assert time.monotonic() < deadline, f"WebRTC did not connect: {stats}"
        time.sleep(0.2)


def test_keyboard_conversation_is_announced_charted_and_kept_per_turn(
    live_page: Any, live_app: Any, shots: Path
) -> None:
    live, page = live_page, live_page.page
    page.locator("#live-typed textarea").click()
    page.keyboard.type("a space here ")
    assert page.evaluate("window.__liveShortcuts.handled") == 0  # typing is typing
    page.locator("#live-status").click()  # focus on no control
    page.keyboard.press("Space")
    wait_connected(live)
    started = live.now_ms()
    greeting_at = live.wait_for_remote_audio(started, timeout_s=REPLY_TIMEOUT_S)
    assert greeting_at is not None, "no greeting audio reached the browser"
    wait_until_quiet(live, greeting_at)
    wait_for_announcement(page, r"^The persona said: \S")  # the greeting, once played in full

    said = live.say("question")
    wait_for_announcement(page, r"^You said: .*capital")
    wait_for_announcement(page, r"^The persona said: \S")  # the answer, once spoken
    chart = page.locator("#live-latency")
    expect(chart.locator(".caption")).to_contain_text(re.compile(r"^Turn 1: \d+ ms from the end of your speech"))
    expect(chart.locator(".vega-embed canvas")).to_have_count(1)
    page.screenshot(path=str(shots / "live-keyboard-and-latency.png"), full_page=True)
    assert said["end"] > said["start"]

    page.locator("#live-status").click()
    page.keyboard.press("Escape")
    view = wait_for_end(live_app)
    assert page.evaluate("window.__liveShortcuts.handled") == 2

    folder = conversation_audio_dir(live_app.ctx.settings.data_dir, view.summary.id)
    question = next(turn for turn in view.turns if "capital" in turn.text.lower())
    greeting = view.turns[0]
    assert greeting.role == "assistant" and question.role == "user"
    spoken_s = (said["end"] - said["start"]) / 1000
    user_clip = TurnClip.parse(question.audio_path)
    assert user_clip is not None and user_clip.file == "user.wav"
    # The question's stretch: about as long as the clip that was spoken, and louder than the rest of the call.
    assert 0.6 * spoken_s < user_clip.duration_s < spoken_s + 2.0, (user_clip, spoken_s)
    rate, heard = read_clip(folder, user_clip)
    with wave.open(str(folder / "user.wav")) as wav:
        whole = np.frombuffer(wav.readframes(wav.getnframes()), "<i2")
    rms = lambda samples: float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))  # noqa: E731
    assert rate == 16_000 and rms(heard) > 2 * rms(whole), (rms(heard), rms(whole))
    greeting_clip = TurnClip.parse(greeting.audio_path)
    assert greeting_clip is not None and greeting_clip.file == "persona.wav" and greeting_clip.duration_s > 0.5
    replies = [TurnClip.parse(turn.audio_path) for turn in view.turns if turn.role == "assistant"]
    assert all(replies), view.turns  # every reply that was played has its stretch

    page.get_by_role("tab", name="History").click()
    page.locator("#history-refresh").click()
    page.locator("#history-picker input").click()
    page.get_by_role("option", name=f"#{view.summary.id} ", exact=False).first.click()
    page.locator("#history-transcript").get_by_text(question.text).click()
    link = page.locator("#history-turn-audio a.download-link")
    expect(link).to_have_count(1)
    with wave.open(io.BytesIO(page.request.get(link.get_attribute("href")).body())) as wav:
        assert wav.getnframes() / wav.getframerate() == pytest.approx(user_clip.duration_s, abs=0.01)


def _preview_seconds(page: Any, personas: Any, button: str, previous: str | None) -> tuple[str, float]:
    personas.get_by_role("button", name=button).click()
    link = personas.locator("#persona-preview-audio a.download-link")
    expect(link).to_have_count(1, timeout=REPLY_TIMEOUT_S * 1000)
    if previous is not None:
        expect(link).not_to_have_attribute("href", previous, timeout=REPLY_TIMEOUT_S * 1000)
    href = link.get_attribute("href")
    with wave.open(io.BytesIO(page.request.get(href).body())) as wav:
        return href, wav.getnframes() / wav.getframerate()


def test_voice_and_greeting_previews_play_with_the_forms_voice_and_speed(live_browser: Any, live_app: Any) -> None:
    context = live_browser.new_context(viewport={"width": 1400, "height": 1100})
    try:
        page = context.new_page()
        open_studio(page, live_app.url)
        personas = tab(page, "personas")
        open_from_list(personas, "Search personas", "Sam")
        expect(personas.get_by_label("Name", exact=True)).to_have_value("Sam")
        note = personas.locator("#persona-preview-note")
        sample, sample_s = _preview_seconds(page, personas, "Preview voice", None)
        expect(note).to_contain_text(re.compile(r"Played a voice sample in jf_tebukuro at speed 0\.95"))
        greeting, greeting_s = _preview_seconds(page, personas, "Play greeting", sample)
        assert 0.8 < sample_s < greeting_s, (sample_s, greeting_s)  # Sam's greeting is longer than the sample
        speed = personas.get_by_label("number input for Speaking speed")
        speed.fill("2")
        speed.press("Enter")
        _, faster_s = _preview_seconds(page, personas, "Play greeting", greeting)
        expect(note).to_contain_text("at speed 2")
        assert faster_s < 0.75 * greeting_s, (faster_s, greeting_s)  # the unsaved speed is the one heard
    finally:
        context.close()
