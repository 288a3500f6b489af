"""Files made for a browser to download (exports, conversation files, A/B replies, clip previews).

They live in one folder of the data directory, `downloads/`, which only this user may read (0700, files
0600): conversations and reference clips of real people must not be readable by other accounts on the
machine, as they were in a shared /tmp folder. Each download gets its own folder with an unguessable
name (the folder is the one place Gradio may copy outputs from, see `upload_limits`), and old ones are
deleted: older than `file_retention_s`, or beyond the newest `max_kept_downloads`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
import time
from pathlib import Path

from stepaudio_ui.settings import Settings

logger = logging.getLogger(__name__)

DOWNLOADS_DIR = "downloads"
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def downloads_root(data_dir: Path) -> Path:
    return (data_dir / DOWNLOADS_DIR).resolve()


def _private_root(data_dir: Path) -> Path:
    root = downloads_root(data_dir)
    root.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    root.chmod(PRIVATE_DIR)  # mkdir's mode is filtered by the umask, and an older folder may be wider
    return root


def prune_downloads(settings: Settings, *, room: int = 0) -> int:
    """Delete download folders older than `file_retention_s`, then all but the newest `max_kept_downloads`
    (less `room` for ones about to be made); how many went."""
    root = downloads_root(settings.data_dir)
    if not root.is_dir():
        return 0
    dated: list[tuple[float, Path]] = []
    for entry in root.iterdir():
        with contextlib.suppress(FileNotFoundError):  # removed meanwhile by a concurrent request
            if entry.is_dir():
                dated.append((entry.stat().st_mtime, entry))
    dated.sort()
    cutoff = time.time() - settings.file_retention_s
    stale = [folder for mtime, folder in dated if mtime < cutoff]
    fresh = [folder for mtime, folder in dated if mtime >= cutoff]
    keep = max(settings.max_kept_downloads - room, 0)
    doomed = stale + fresh[: max(0, len(fresh) - keep)]
    for folder in doomed:
        shutil.rmtree(folder, ignore_errors=True)
    if doomed:
        logger.info("deleted %d old download folder(s) from %s", len(doomed), root)
    return len(doomed)


def download_folder(settings: Settings) -> Path:
    """A fresh private folder for one download; old ones are pruned first, leaving room for this one."""
    root = _private_root(settings.data_dir)
    prune_downloads(settings, room=1)
    folder = root / secrets.token_urlsafe(16)  # 128 bits: not guessable from a conversation id or a slug
    folder.mkdir(mode=PRIVATE_DIR)
    folder.chmod(PRIVATE_DIR)
    return folder


def make_private(paths: list[Path]) -> list[Path]:
    """Restrict files just written into a download folder to this user (0600); returns them."""
    for path in paths:
        os.chmod(path, PRIVATE_FILE)
    return paths
