"""Reusable pieces for browser tests: the real app on a free port, Debian's Chromium, Gradio page actions.

The app runs in-process (uvicorn in a thread) so a test can also reach the same database directly,
e.g. to save a version "from another editor" and check that the page shows the conflict.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_PATH = "/usr/bin/chromium"
# Flags measured to work on offline machines without a GPU or a sound card.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--allow-loopback-in-peer-connection",
]
UI_TIMEOUT_MS = 15_000
# The page follows the browser's language (English or Chinese): tests find elements by their English words,
# so every page speaks en-US unless a test asks for another locale.
DEFAULT_LOCALE = "en-US"


@dataclass
class RunningApp:
    url: str
    ctx: Any  # stepaudio_ui.context.AppContext: the same database the page writes to


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_app(settings: Any) -> Iterator[RunningApp]:
    """Serve `create_app(settings)` on 127.0.0.1:<free port> until the block exits."""
    import uvicorn

    from stepaudio_ui.server import create_app
    from stepaudio_ui.web.uvicorn_setup import uvicorn_config

    app, ctx = create_app(settings)
    port = free_port()
    server = uvicorn.Server(uvicorn_config(app, settings, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the app did not start on port {port}; see the log above")
        time.sleep(0.05)
    try:
        yield RunningApp(url=f"http://127.0.0.1:{port}/", ctx=ctx)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        ctx.db.dispose()


@contextmanager
def chromium(extra_args: list[str] | None = None) -> Iterator[Any]:
    """A headless Debian Chromium driven by Playwright (its own fresh temporary profile)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM_PATH).is_file():
        raise RuntimeError(
            f"Debian's Chromium is not at {CHROMIUM_PATH}: install it with `apt-get install -y chromium`"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM_PATH, headless=True, args=CHROMIUM_ARGS + (extra_args or [])
        )
        try:
            yield EnglishByDefault(browser)
        finally:
            browser.close()


class EnglishByDefault:
    """A launched Playwright browser whose new contexts and pages use DEFAULT_LOCALE unless given `locale=`."""

    def __init__(self, browser: Any) -> None:
        self._browser = browser

    def new_context(self, **options: Any) -> Any:
        return self._browser.new_context(**{"locale": DEFAULT_LOCALE, **options})

    def new_page(self, **options: Any) -> Any:
        return self._browser.new_page(**{"locale": DEFAULT_LOCALE, **options})

    def __getattr__(self, name: str) -> Any:
        return getattr(self._browser, name)


# ------------------------------------------------------------------------------------ page actions


def open_studio(page: Any, url: str) -> None:
    """Load the studio and wait until the library list has been filled by the page-load event."""
    page.set_default_timeout(UI_TIMEOUT_MS)
    page.goto(url)
    page.get_by_role("tab", name="Personas").wait_for()
    page.locator(".item-list").first.wait_for()


def tab(page: Any, tab_id: str) -> Any:
    """Click the tab whose element id is `tab_id`-tab and return its panel (labels repeat across tabs)."""
    names = {"personas": "Personas", "scenes": "Scene tones", "compose": "Compose preview"}
    page.get_by_role("tab", name=names.get(tab_id, tab_id.title())).click()
    scope = page.locator(f"#{tab_id}-tab")
    scope.wait_for()
    return scope


def choose(page: Any, scope: Any, label: str, option: str) -> None:
    """Pick `option` in the Gradio dropdown labelled `label` inside `scope`.

    Page-load events swap in the caller's own choices; one landing while the list is open re-renders
    it and closes it, so an option that does not become clickable is looked for again in a reopened list.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(3):
        scope.get_by_label(label, exact=True).click()
        try:
            page.get_by_role("option", name=option, exact=True).click(timeout=UI_TIMEOUT_MS / 3)
            return
        except PlaywrightTimeout:
            if attempt == 2:
                raise


def status_text(scope: Any) -> str:
    return scope.locator(".status:visible").last.inner_text()


def start_new_item(scope: Any, singular: str) -> None:
    """Click "New <singular>" and wait until the server has answered.

    The form already shows the template before the click, so its values cannot tell that the answer has
    arrived; text typed before it arrives is overwritten by the template (seen on loaded CI machines).
    Only the "New" handler writes this status line.
    """
    from playwright.sync_api import expect

    scope.get_by_role("button", name=f"New {singular}").click()
    expect(scope.locator(".status")).to_contain_text(f"A new {singular}: edit the form")


def open_from_list(scope: Any, search_label: str, query: str) -> None:
    """Search the library list until exactly one item is left, then open it.

    Waiting for the filtered list first matters: a click on the unfiltered list can be undone when
    the search result arrives and re-renders the radio group.
    """
    from playwright.sync_api import expect

    scope.get_by_label(search_label).fill(query)
    items = scope.locator(".item-list label")
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text(query)
    items.first.click()


def edit_cell(page: Any, table: Any, index: int, text: str) -> None:
    """Type `text` into the `index`-th cell (row-major) of an editable Gradio table."""
    table.get_by_role("cell").nth(index).dblclick()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    page.keyboard.press("Enter")
