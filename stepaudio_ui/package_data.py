"""The files that ship inside the package: the seed library and the static assets.

Both live beside the code (`stepaudio_ui/seeds/`, `stepaudio_ui/assets/`), are declared as package data in
pyproject.toml, and are found with `importlib.resources`, so an installed wheel (`pip install .`) serves the same
seed personas, scene tones, check scripts, styles and voice clips as a checkout does.

They are handed out as real folders: check scripts name WAV files relative to themselves and the GPU engine
passes clip paths to its model, so a zipped install (which has no folders) is refused with the fix.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stepaudio_ui.settings import Settings

SEEDS = "seeds"  # personas/*.json, scenes/*.json, checks/*.json: loaded into an empty database
ASSETS = "assets"  # style.css, voices/*.wav (reference clips), screenshot.png (README only)


def packaged_folder(name: str) -> Path:
    """The folder `name` inside the installed `stepaudio_ui` package."""
    folder = resources.files(__package__) / name
    if not isinstance(folder, Path):
        raise RuntimeError(
            f"stepaudio_ui's {name}/ is inside an archive ({folder}); install the package as files: pip install ."
        )
    return folder


def seed_dir(settings: Settings) -> Path:
    """The seed library a new database is filled from: STEPAUDIO_SEED_DIR, else the packaged one."""
    return settings.seed_dir or packaged_folder(SEEDS)


def checks_dir(settings: Settings) -> Path:
    """Where `stepaudio-ui check SLUG` and the Quality tab find a persona's check script."""
    return seed_dir(settings) / "checks"


def voice_clips_dir() -> Path:
    """The packaged reference clips (one WAV per voice) that Step-Audio 2 mini copies a timbre from."""
    return packaged_folder(ASSETS) / "voices"


def stylesheet() -> str:
    """The app's CSS."""
    return (resources.files(__package__) / ASSETS / "style.css").read_text(encoding="utf-8")
