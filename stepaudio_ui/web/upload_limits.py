"""Files a browser sends to the studio: Gradio's own checks, switched on for our mounted app, and their limits.

Gradio checks that a file input names a file a browser really uploaded (one in its upload folder) only
once `Blocks.launch()` has marked the app launched. We mount the app on FastAPI instead (so /v1/realtime
shares the port), and `gr.mount_gradio_app` leaves that mark unset: a caller could then name any server
path in a file input (`/etc/hostname` reached the import handler; copying `/dev/zero` never ended).
`mount_studio` does what launch() does for files: marks the app launched, caps uploads, lets Gradio copy
outputs only from our private downloads folder (besides its own cache, the working directory and the
temp directory, which it always allows), and deletes uploaded and cached files after
`file_retention_s`. A served process (`use_private_gradio_cache`) also moves Gradio's upload folder and
cache, which otherwise sit in the shared /tmp/gradio readable by every account, into the data directory.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from typing import Any

import fastapi
import gradio as gr

from stepaudio_ui.settings import Settings
from stepaudio_ui.web.downloads import PRIVATE_DIR, downloads_root, prune_downloads

MAX_CLEANUP_INTERVAL_S = 600
GRADIO_CACHE_DIR = "gradio-cache"


def cache_cleanup(settings: Settings) -> tuple[int, int]:
    """Gradio's `delete_cache` (how often to look, how old a file may get), both in seconds.

    Looking every quarter of the age keeps files at most 1.25x the age; Gradio compares ages within
    one day only (it reads `timedelta.seconds`), which `file_retention_s <= 12 h` keeps clear of.
    """
    age = settings.file_retention_s
    return max(1, min(age // 4, MAX_CLEANUP_INTERVAL_S)), age


def mount_studio(app: fastapi.FastAPI, blocks: gr.Blocks, settings: Settings, **options: Any) -> fastapi.FastAPI:
    """`gr.mount_gradio_app(app, blocks, **options)` with the file checks and limits of `Blocks.launch()`."""
    blocks.delete_cache = cache_cleanup(settings)  # read when the mounted app is created
    mounted = gr.mount_gradio_app(
        app,
        blocks,
        max_file_size=settings.upload_limit(),
        allowed_paths=[str(downloads_root(settings.data_dir))],
        **options,
    )
    blocks.has_launched = True  # what launch() sets: from now on file inputs take uploaded files only
    prune_downloads(settings)  # what an earlier run left behind
    return mounted


def use_private_gradio_cache(settings: Settings, environ: MutableMapping[str, str] = os.environ) -> str:
    """Point Gradio's upload folder and cache (GRADIO_TEMP_DIR, unless set) at a private folder of the data dir.

    Uploads and the copies Gradio makes of every download (conversations, reference clips) would otherwise
    sit in /tmp/gradio, a folder any account on the machine can list and read. Gradio reads the variable
    whenever it builds a Blocks or an app, and for every request: set it once per process, before
    `create_app`, which is why `serve` does and tests (many apps in one process) do not.
    """
    if not environ.get("GRADIO_TEMP_DIR"):
        folder = (settings.data_dir / GRADIO_CACHE_DIR).resolve()
        folder.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        folder.chmod(PRIVATE_DIR)
        environ["GRADIO_TEMP_DIR"] = str(folder)
    return environ["GRADIO_TEMP_DIR"]
