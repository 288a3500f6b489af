"""Where the studio runs: the defaults a Hugging Face Space (or any Gradio host) expects.

A Space sets `SPACE_ID`, routes outside traffic to 0.0.0.0:7860 and mounts persistent storage at
`/data`; Gradio hosts set `GRADIO_SERVER_NAME`. Settings the user gave explicitly always win.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

SPACE_PERSISTENT_DIR = Path("/data")


def on_space(environ: Mapping[str, str] | None = None) -> bool:
    return bool((os.environ if environ is None else environ).get("SPACE_ID"))


def hosting_settings(settings: Any, *, environ: Mapping[str, str] | None = None) -> Any:
    """`settings` with the host's defaults filled in where the user set nothing (a new Settings object)."""
    env = os.environ if environ is None else environ
    updates: dict[str, Any] = {}
    if "STEPAUDIO_HOST" not in env:
        if env.get("GRADIO_SERVER_NAME"):
            updates["host"] = env["GRADIO_SERVER_NAME"]
        elif on_space(env):
            updates["host"] = "0.0.0.0"  # noqa: S104 - a Space's proxy reaches the app only this way
    data_dir_set = "STEPAUDIO_DATA_DIR" in env or settings.data_dir != Path("data")
    if on_space(env) and not data_dir_set and SPACE_PERSISTENT_DIR.is_dir():
        updates["data_dir"] = SPACE_PERSISTENT_DIR  # survives restarts, unlike the app folder
    if updates:
        logger.info("Hosting defaults applied: %s", ", ".join(f"{key}={value}" for key, value in updates.items()))
        return settings.model_copy(update=updates)
    return settings
