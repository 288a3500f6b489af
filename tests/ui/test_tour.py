"""The features a voice-studio user expects, in a real Chromium, without loading the voice models:
per-turn playback in History, the voice preview's refusals, the Live tab's keyboard shortcuts and screen-reader
region, the latency chart, and styles that stay readable in the dark theme.

What needs the models (a preview that plays, a conversation started by keyboard) is in
tests/live/test_live_tour.py.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import io
import re
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import expect

from model.events import SpeechStarted, SpeechStopped
from stepaudio_ui.live.session import ConversationRecorder
from stepaudio_ui.live.turn_audio import USER_LEAD_S, USER_TAIL_S
from stepaudio_ui.ui.live_shortcuts import HINT_ID
from tests.browser_support import RunningApp, choose, open_studio, tab
from tests.live.recording import sam_session

pytestmark = pytest.mark.browser

# Counts every playback the page starts (Gradio's player keeps its media element out of the DOM).
PLAY_TAP_JS = """
window.__played = 0;
const nativePlay = HTMLMediaElement.prototype.play;
HTMLMediaElement.prototype.play = function (...args) { window.__played += 1; return nativePlay.apply(this, args); };
"""

# WCAG contrast of an element's text against what is really behind it (its own and its ancestors'
# backgrounds, composited). Colours are read through a canvas, so any CSS colour syntax works.
CONTRAST_JS = """
(element) => {
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 1;
  const paint = canvas.getContext('2d', {willReadFrequently: true});
  const rgba = (css) => {
    paint.clearRect(0, 0, 1, 1);
    paint.fillStyle = css;
    paint.fillRect(0, 0, 1, 1);
    const [r, g, b, a] = paint.getImageData(0, 0, 1, 1).data;
    return [r, g, b, a / 255];
  };
  const over = (top, below) => [0, 1, 2].map((i) => top[i] * top[3] + below[i] * (1 - top[3]));
  const layers = [];
  for (let node = element; node; node = node.parentElement) layers.push(rgba(getComputedStyle(node).backgroundColor));
  let background = [255, 255, 255];  // the canvas behind the page
  for (const layer of layers.reverse()) background = over(layer, background);
  const text = over(rgba(getComputedStyle(element).color), background);
  const luminance = (c) => {
    const [r, g, b] = c.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [light, dark] = [luminance(text), luminance(background)].sort((a, b) => b - a);
  return (light + 0.05) / (dark + 0.05);
}
"""
MIN_CONTRAST = 4.5  # WCAG AA for normal text


async def _record_conversation(ctx: Any) -> int:
    """A conversation as the live handler records it: a 1.5 s greeting, a spoken turn, a typed turn."""
    recorder = await ConversationRecorder.start(ctx.db, ctx.settings.data_dir, sam_session())
    recorder.write_persona_audio(np.full(36_000, 3000, np.int16), replying=True)
    await recorder.add_turn(role="assistant", text="Hello, I am Sam.", audio=recorder.marks.reply_clip())
    recorder.write_user_audio(np.full(32_000, 2000, np.int16))
    recorder.marks.observe(SpeechStarted(audio_start_ms=500, item_id="turn"))
    recorder.marks.observe(SpeechStopped(audio_end_ms=1500, item_id="turn"))
    await recorder.add_turn(role="user", text="My router blinks.", audio=recorder.marks.user_clip("turn"))
    await recorder.add_turn(role="user", text="I typed this one.")
    await recorder.finish("hung up")
    return recorder.conversation_id


@pytest.fixture(scope="module")
def conversation_id(studio_app: RunningApp) -> int:
    # Its own thread and loop: Playwright's sync API keeps an event loop running in this one.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, _record_conversation(studio_app.ctx)).result()


def _new_audio(page: Any, player: Any, previous: str | None) -> tuple[str, int, float]:
    """(link, sample rate, seconds) of the audio the player holds once it differs from `previous`,
    fetched as the browser would download it."""
    link = player.locator("a.download-link")
    expect(link).to_have_count(1)
    if previous is not None:
        expect(link).not_to_have_attribute("href", previous)
    href = link.get_attribute("href")
    with wave.open(io.BytesIO(page.request.get(href).body())) as wav:
        return href, wav.getframerate(), wav.getnframes() / wav.getframerate()


def test_history_plays_each_turn_from_the_transcript_or_the_list(
    page: Any, conversation_id: int, output_dir: Path
) -> None:
    page.add_init_script(PLAY_TAP_JS)
    page.reload()
    page.get_by_role("tab", name="History").click()
    history = page.locator("#history-tab")
    history.get_by_label("Conversation", exact=True).click()  # not the transcript ("chatbot conversation")
    page.get_by_role("option", name=re.compile(f"^#{conversation_id} ")).click()
    expect(history.locator("#history-turn-note")).to_contain_text("Click a message in the transcript")
    player = history.locator("#history-turn-audio")

    history.locator("#history-transcript").get_by_text("Hello, I am Sam.").click()
    expect(history.get_by_label("Turn to play")).to_have_value(re.compile(r"^Turn 1 · sam-support · 1\.5 s"))
    greeting, rate, seconds = _new_audio(page, player, None)
    assert (rate, seconds) == (24_000, 1.5)
    page.wait_for_function("window.__played >= 1")  # it plays at once

    history.locator("#history-transcript").get_by_text("My router blinks.").click()
    expect(history.get_by_label("Turn to play")).to_have_value(re.compile(r"^Turn 2 · You · 1\.4 s"))
    spoken, rate, seconds = _new_audio(page, player, greeting)
    assert rate == 16_000 and seconds == pytest.approx(1.0 + USER_LEAD_S + USER_TAIL_S)
    page.wait_for_function("window.__played >= 2")
    page.screenshot(path=str(output_dir / "history-turn-playback.png"), full_page=True)

    history.locator("#history-transcript").get_by_text("I typed this one.").click()
    expect(page.locator(".toast-body")).to_contain_text("Turn 3 has no audio")

    choose(page, history, "Turn to play", "Turn 1 · sam-support · 1.5 s · Hello, I am Sam.")
    assert _new_audio(page, player, spoken)[1:] == (24_000, 1.5)


def test_voice_preview_says_why_it_cannot_play(page: Any) -> None:
    personas = tab(page, "personas")
    personas.locator(".item-list label").filter(has_text="Sam").first.click()
    expect(personas.get_by_label("Name", exact=True)).to_have_value("Sam")
    note = personas.locator("#persona-preview-note")
    # The models are not loaded in this app (no warm-up): the page says so instead of waiting.
    personas.get_by_role("button", name="Play greeting").click()
    expect(note).to_contain_text("models are not loaded yet")
    expect(note.locator(".status-warn")).to_have_count(1)
    # A voice of a hosted engine: named, with the way to hear it.
    choose(page, personas, "Voice", "Alloy (alloy, gpt-realtime)")
    personas.get_by_role("button", name="Preview voice").click()
    expect(note).to_contain_text("Voice alloy belongs to the gpt-realtime engine")
    personas.get_by_label("Greeting").fill("")
    personas.get_by_role("button", name="Play greeting").click()
    expect(note).to_contain_text("no greeting to play")


def test_live_shortcuts_are_announced_and_leave_typing_alone(page: Any) -> None:
    live = tab(page, "live")
    expect(live.locator(f"#{HINT_ID}")).to_contain_text("Space starts or stops the conversation")
    typed = live.get_by_label("Type to the persona")
    typed.click()
    page.keyboard.type("hi there")
    page.keyboard.press("Escape")
    expect(typed).to_have_value("hi there")
    assert page.evaluate("window.__liveShortcuts.handled") == 0
    expect(live.get_by_text("Click to Access Microphone")).to_be_visible()  # not started

    personas = tab(page, "personas")
    personas.locator(".editor-head").click()  # focus on no control, on another tab
    page.keyboard.press("Space")
    assert page.evaluate("window.__liveShortcuts.handled") == 0


def test_live_transcript_has_a_polite_region_and_a_native_latency_chart(page: Any) -> None:
    live = tab(page, "live")
    announcer = live.locator("#live-announcer")
    expect(announcer).to_have_attribute("aria-live", "polite")
    expect(announcer).to_have_attribute("role", "log")
    assert announcer.bounding_box()["width"] <= 1  # for screen readers only
    expect(live.locator("#live-transcript [role='log']")).to_have_attribute("aria-live", "off")
    expect(live.locator("#live-status")).to_have_attribute("aria-live", "polite")
    chart = live.locator("#live-latency")
    expect(chart).to_contain_text("Per-turn latency appears here after the first spoken turn")
    expect(chart.locator("[data-testid='block-info']")).to_have_text("Latency per turn")
    expect(chart.locator(".vega-embed canvas")).to_have_count(1)  # Gradio's own plot, drawn by Vega


def test_an_idle_live_tab_leaves_the_page_idle(page: Any) -> None:
    """Nothing happening means nothing to compute. (A plot option once made Gradio re-render the whole page
    without end: the page's main thread was ~90% busy, late for the barge-in polling and the audio.)"""
    live = tab(page, "live")
    expect(live.locator("#live-latency .vega-embed canvas")).to_have_count(1)
    page.wait_for_timeout(2000)  # the page load's own work is over
    profiler = page.context.new_cdp_session(page)
    profiler.send("Profiler.enable")
    profiler.send("Profiler.start")
    page.wait_for_timeout(4000)
    profile = profiler.send("Profiler.stop")["profile"]
    names = {node["id"]: node["callFrame"]["functionName"] for node in profile["nodes"]}
    idle = sum(
        delta
        for sample, delta in zip(profile["samples"], profile["timeDeltas"], strict=True)
        if names[sample] == "(idle)"
    )
    assert idle / sum(profile["timeDeltas"]) > 0.5, f"the idle page's main thread was idle only {idle / 1e6:.1f} s of 4"


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_custom_styles_keep_their_contrast(page: Any, studio_app: RunningApp, output_dir: Path, theme: str) -> None:
    open_studio(page, f"{studio_app.url}?__theme={theme}")
    assert page.evaluate("document.body.classList.contains('dark')") == (theme == "dark")
    personas = tab(page, "personas")
    # One banner of each tone where the editor shows them (the editor writes these after saves and errors).
    personas.locator(".editor-head").evaluate(
        """(head) => { for (const tone of ['ok', 'info', 'warn', 'error']) {
             const line = document.createElement('div');
             line.className = `status status-${tone} contrast-sample`;
             line.textContent = `A ${tone} message`;
             head.parentElement.appendChild(line); } }"""
    )
    checked = {
        "status banners": personas.locator(".contrast-sample"),
        "editor header": personas.locator(".editor-head"),
        "form hint": personas.locator(".hint p").first,
        "page intro": page.locator(".app-header p").first,
    }
    page.screenshot(path=str(output_dir / f"theme-{theme}-personas.png"), full_page=True)
    live = tab(page, "live")
    notice = live.locator("#live-mic-notice")
    expect(notice).to_contain_text("Microphone")
    notice.evaluate("(box) => { box.dataset.state = 'problem'; }")  # as when there is no microphone
    expect(live.locator("#live-latency .vega-embed canvas")).to_have_count(1)  # the last part drawn
    expect(live.get_by_text("Click to Access Microphone")).to_be_visible()
    checked |= {"shortcut hint": live.locator(f"#{HINT_ID} p"), "microphone problem": notice}
    page.screenshot(path=str(output_dir / f"theme-{theme}-live.png"), full_page=True)
    low = {}
    for name, locator in checked.items():
        for index in range(locator.count()):
            ratio = locator.nth(index).evaluate(CONTRAST_JS)
            if ratio < MIN_CONTRAST:
                low[f"{name} #{index}"] = round(ratio, 2)
    assert not low, f"text below {MIN_CONTRAST}:1 contrast in the {theme} theme: {low}"
