"""Studio UI benchmark in a real Chromium against a large library (default 10,000 personas x 10 versions).

    .venv/bin/python -m tests.ui.bench_ui [--personas 10000] [--versions 10] [--repeat 10]

Times what a writer waits for, end to end (browser -> Gradio -> studio -> SQLite -> browser):
page ready (library list filled), a search narrowing the list, opening a persona into the form,
and saving a new version. Prints one line per measure, then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.browser_support import chromium, open_studio, running_app, tab


def _ms(action: Callable[[], None]) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def _p50(samples: list[float]) -> float:
    return round(statistics.median(samples), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--personas", type=int, default=10_000)
    parser.add_argument("--versions", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    from stepaudio_ui.bench.store import fill
    from stepaudio_ui.settings import Settings
    from stepaudio_ui.studio.store import Database

    with tempfile.TemporaryDirectory(prefix="bench-ui-") as folder:
        settings = Settings(data_dir=Path(folder), seed_dir=Path(folder) / "no-seed", warmup=False, _env_file=None)
        settings.ensure_dirs()
        db = Database.from_settings(settings)
        db.migrate()
        start = time.perf_counter()
        fill(db, personas=args.personas, versions=args.versions, seed=7)
        db.dispose()
        fill_s = time.perf_counter() - start
        start = time.perf_counter()
        with running_app(settings) as app, chromium() as browser:
            startup_s = time.perf_counter() - start
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            results = _measure(page, app.url, args.repeat, args.personas)
    results = {"personas": args.personas, "versions": args.personas * args.versions, **results}
    results["fill_s"] = round(fill_s, 1)
    results["app_start_s"] = round(startup_s, 2)
    for key, value in results.items():
        print(f"{key:>22}: {value}")
    print(json.dumps(results))


def _until(page: Any, predicate_js: str, arg: Any = None) -> None:
    """Wait for a page condition, checked every animation frame (Playwright's expect polls coarsely)."""
    page.wait_for_function(predicate_js, arg=arg, polling="raf", timeout=30_000)


LIST_IS = "([name]) => { const l = document.querySelectorAll('#personas-tab .item-list label'); return l.length === 1 && l[0].innerText.includes(' ' + name + ' · v'); }"
HEAD_HAS = "([slug]) => (document.querySelector('#personas-tab .editor-head') || {}).innerText?.includes(slug + ' ·')"
STATUS_HAS = "([text]) => (document.querySelector('#personas-tab .status') || {}).innerText?.includes(text)"


def _measure(page: Any, url: str, repeat: int, personas_total: int) -> dict[str, Any]:
    loads = [_ms(lambda: open_studio(page, url)) for _ in range(3)]
    personas = tab(page, "personas")
    items = personas.locator(".item-list label")
    search_box = personas.get_by_label("Search personas")
    save_button = personas.get_by_role("button", name="Save as new version")
    search, opened, saved = [], [], []
    for round_number in range(repeat):
        # Four-digit numbers (1001..9999) appear in exactly one generated name: the search leaves one item.
        if personas_total >= 10_000:
            name = str(1001 + (round_number * 733) % 8999)
        else:
            name = str(personas_total - round_number * 37)
        search.append(_ms(lambda n=name: (search_box.fill(n), _until(page, LIST_IS, [n]))))
        opened.append(_ms(lambda n=name: (items.first.click(), _until(page, HEAD_HAS, [f"persona-{n}"]))))
        personas.get_by_label("Tagline").fill(f"Edited in round {round_number}.")
        saved.append(_ms(lambda: (save_button.click(), _until(page, STATUS_HAS, ["Saved"]))))
    return {
        "page_ready_ms": _p50(loads),
        "search_p50_ms": _p50(search),
        "open_p50_ms": _p50(opened),
        "save_p50_ms": _p50(saved),
    }


if __name__ == "__main__":
    main()
