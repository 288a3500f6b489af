"""Browser-test fixtures: one real app and one Chromium per test module.

Chromium is module-scoped, not session-scoped: Playwright's sync API keeps an event loop running while it
is started, which would break later modules that run their own asyncio loops or start Playwright again.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stepaudio_ui.package_data import packaged_folder
from tests.browser_support import RunningApp, chromium, open_studio, running_app


@pytest.fixture(scope="module")
def studio_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    from stepaudio_ui.settings import Settings

    data_dir = tmp_path_factory.mktemp("ui-data")
    settings = Settings(data_dir=data_dir, seed_dir=packaged_folder("seeds"), warmup=False, _env_file=None)
    with running_app(settings) as app:
        yield app


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Any, studio_app: RunningApp, output_dir: Path) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    open_studio(page, studio_app.url)
    try:
        yield page
    finally:
        context.close()
