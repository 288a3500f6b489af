"""Custom voices for timbre-cloning engines: the stored clip, as the file such an engine reads.

The database is the clip's home (backups hold it with its consent record); engines want a file path,
so a clip is written once under `<data dir>/voice-clips/` (named by its sha256: a cache, rebuilt
from the database whenever it is missing, safe to delete).
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stepaudio_ui.studio.custom_voices import custom_voice_clip, get_custom_voice, is_custom_voice_id

logger = logging.getLogger(__name__)

CLIP_CACHE_DIR = "voice-clips"


def clip_lookup(db: Any, cache_dir: Path) -> Callable[[str], Path | None]:
    """voice id -> the clip file of that custom voice; None for an engine's own voices.

    An unknown custom id raises FileNotFoundError: the engine must not quietly speak with another clip.
    """

    def lookup(voice_id: str) -> Path | None:
        if not is_custom_voice_id(voice_id):
            return None
        with db.session() as session:
            voice = get_custom_voice(session, voice_id)
            if voice is None:
                raise FileNotFoundError(
                    f"custom voice {voice_id!r} is not in this studio's database; upload it in the Voices tab "
                    "or pick another voice for the persona"
                )
            path = cache_dir / f"{voice_id}-{voice.clip_sha256[:16]}.wav"
            if path.is_file():
                return path
            data = custom_voice_clip(session, voice_id) or b""
        cache_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=cache_dir, suffix=".part", delete=False) as handle:
            handle.write(data)
        os.replace(handle.name, path)  # atomic: a concurrent reader never sees half a clip
        logger.info("custom voice %s written to %s for a cloning engine", voice_id, path)
        return path

    return lookup


def attach_custom_voices(engines: dict[str, Any], db: Any, data_dir: Path) -> None:
    """Give every engine that takes reference clips (it has `clip_lookup`) the studio's custom voices."""
    lookup = clip_lookup(db, data_dir / CLIP_CACHE_DIR)
    for engine in engines.values():
        if hasattr(engine, "clip_lookup"):
            engine.clip_lookup = lookup
