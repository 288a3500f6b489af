"""Progress bars on the Quality tab's long work, in a real Chromium with the real embedded engine: the wait
for the engine's models, each step of a check run, and the two replies of an A/B pair.

The page is given a tap on Gradio's event stream, so every progress update it receives is kept and
checked, however briefly it was on screen.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from model.embedded import engine as embedded_engine
from stepaudio_ui.ui.i18n import catalog
from tests.browser_support import RunningApp, choose, chromium, open_studio, running_app

pytestmark = [pytest.mark.browser, pytest.mark.models]
REPLY_TIMEOUT_MS = 240_000  # replies on a shared 2-core machine
# The progress bars' English words (the test browser's language), in the order a run shows them.
TEXT = {key.removeprefix("progress."): text for key, text in catalog("en").items() if key.startswith("progress.")}

# Keeps the progress units of every "progress" message Gradio streams to the page.
PROGRESS_TAP_JS = """
window.__progress = [];
const nativeFetch = window.fetch;
window.fetch = async (...args) => {
  const response = await nativeFetch(...args);
  const url = String(args[0] && args[0].url ? args[0].url : args[0]);
  if (url.includes('/queue/data') && response.body) {
    const reader = response.clone().body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    (async () => {
      for (;;) {
        const {done, value} = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, {stream: true});
        let end;
        while ((end = buffer.indexOf('\\n')) >= 0) {
          const line = buffer.slice(0, end);
          buffer = buffer.slice(end + 1);
          if (!line.startsWith('data:') || !line.includes('"progress"')) continue;
          try {
            const message = JSON.parse(line.slice(5));
            if (message.msg === 'progress') window.__progress.push(...(message.progress_data || []));
          } catch (error) { /* another message */ }
        }
      }
    })();
  }
  return response;
};
"""


@pytest.fixture(scope="module")
def studio(quality_settings, quality_models) -> Iterator[tuple[RunningApp, Any]]:  # noqa: ANN001 - settings, models
    """An app whose embedded engine has not started (its first use joins the loaded models), and a Chromium."""
    with running_app(quality_settings) as app, chromium() as browser:
        yield app, browser


@pytest.fixture
def fresh_app(studio: tuple[RunningApp, Any]) -> RunningApp:
    return studio[0]


@pytest.fixture
def quality(studio: tuple[RunningApp, Any]) -> Iterator[Any]:
    """The Quality tab in a new page that keeps every progress update it receives."""
    app, browser = studio
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    context.add_init_script(PROGRESS_TAP_JS)
    try:
        page = context.new_page()
        open_studio(page, app.url)
        page.get_by_role("tab", name="Quality").click()
        yield page
    finally:
        context.close()


def progress_texts(page: Any) -> list[str]:
    return [unit.get("desc") or "" for unit in page.evaluate("window.__progress")]


def test_a_check_run_shows_the_model_wait_then_each_step(quality: Any, fresh_app: RunningApp, output_dir: Path) -> None:
    page = quality
    tab = page.locator("#quality-tab")
    choose(page, tab, "Persona to check", "nova-in-car")
    loading = TEXT["loading"].split(":")[0].format(engine="embedded")  # then the seconds so far
    # Another start holds the models (as the start-up warm-up does while it loads them): the run must wait,
    # and the page must say what it is waiting for.
    with embedded_engine._load_lock:
        tab.get_by_role("button", name="Run check").click()
        expect(tab.get_by_text(loading).first).to_be_visible(timeout=30_000)
        page.screenshot(path=str(output_dir / "progress-model-loading.png"))
    expect(tab.locator("#check-report textarea")).to_have_value(
        re.compile(r"^Check run #\d+ nova-in-car"), timeout=REPLY_TIMEOUT_MS
    )
    texts = progress_texts(page)
    assert any(text.startswith(loading) for text in texts), texts
    assert TEXT["check_step"].format(what="greeting") in texts  # nova's script here checks the greeting only
    assert fresh_app.ctx.engines["embedded"].models is not None


def test_an_ab_pair_counts_its_replies_in(quality: Any) -> None:
    page = quality
    tab = page.locator("#quality-tab")
    tab.get_by_role("tab", name="A/B").click()
    for side in ("A", "B"):
        choose(page, tab, f"{side}: persona", "nova-in-car")
        choose(page, tab, f"{side}: scene tone", "in-car")
    tab.get_by_label("User turn for both").fill("Hi!")
    tab.get_by_role("button", name="Send to both").click()
    expect(tab.get_by_label("Reply 2 latency")).not_to_have_value("", timeout=REPLY_TIMEOUT_MS)
    # The bar shows 0 of 2 while both are asked; the later counts may come too close together to be sent.
    seen = [text for text in progress_texts(page) if text in (TEXT["ab_waiting"], TEXT["ab_one_in"], TEXT["ab_done"])]
    assert seen and seen[0] == TEXT["ab_waiting"] and seen == sorted(seen, key=list(TEXT.values()).index), seen
