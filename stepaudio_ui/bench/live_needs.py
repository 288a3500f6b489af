"""What `stepaudio-ui bench live` needs beyond the app's own install, checked before anything starts.

The app's install does not bring a browser: the bench drives Debian's Chromium through Playwright (the
`bench` extra) and makes its questions with espeak-ng and sox. A missing piece is one line saying what to
install, not a traceback after the models have loaded.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from stepaudio_ui.bench.live_browser import CHROMIUM


def missing_for_live() -> str | None:
    """One line naming every missing piece and the command that installs it; None when all are here."""
    missing = []
    if importlib.util.find_spec("playwright") is None:
        missing.append("Playwright (pip install 'stepaudio-ui[bench]')")
    if not Path(CHROMIUM).is_file():
        missing.append(f"Chromium at {CHROMIUM} (apt-get install -y chromium)")
    programs = [name for name in ("espeak-ng", "sox") if shutil.which(name) is None]
    if programs:
        missing.append(f"{' and '.join(programs)} for the spoken questions (apt-get install -y espeak-ng sox)")
    return f"bench live needs {'; '.join(missing)}" if missing else None
