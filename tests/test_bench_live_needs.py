"""`stepaudio-ui bench live` after the app's own install (no Playwright, no browser): one line that says
what to install and exit status 1, never a ModuleNotFoundError traceback."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import REPO_ROOT

# The app's install without the `bench` extra: Playwright cannot be imported (None in sys.modules blocks it).
WITHOUT_PLAYWRIGHT = (
    "import sys; sys.modules['playwright'] = None; from stepaudio_ui.cli import main; sys.exit(main(['bench', 'live']))"
)


def test_bench_live_without_playwright_says_what_to_install(tmp_path: object) -> None:
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_PLAYWRIGHT],
        cwd=REPO_ROOT,
        env={**os.environ, "STEPAUDIO_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if line.startswith("stepaudio-ui:")]
    assert len(lines) == 1 and "pip install 'stepaudio-ui[bench]'" in lines[0], result.stderr
