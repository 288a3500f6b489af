"""Quality-lab fixtures: the real embedded models and embedding model, loaded once; a real SQLite library.

The models are loaded with exactly the options the app derives from `quality_settings`, so a
`stepaudio-ui check` run in this process (CLI tests) reuses them instead of loading a second copy.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from model.embedded.engine import EmbeddedEngine, load_shared_models
from model.embedded.models import EmbeddedModels
from stepaudio_ui.bootstrap import seed_if_empty
from stepaudio_ui.engines import embedded_options
from stepaudio_ui.package_data import packaged_folder
from stepaudio_ui.quality.embedder import SentenceEmbedder
from stepaudio_ui.quality.script import CheckScript
from stepaudio_ui.settings import Settings
from stepaudio_ui.studio.store import Database

SEED_DIR = packaged_folder("seeds")


@pytest.fixture(scope="session")
def quality_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The seed library, except that Nova's check script checks only the greeting (a UI run takes seconds)."""
    seed_dir = tmp_path_factory.mktemp("quality-seed")
    for part in ("personas", "scenes", "checks"):
        shutil.copytree(SEED_DIR / part, seed_dir / part)
    write_script(seed_dir / "checks" / "nova-in-car.json", greeting_script(must_mention=["Nova"], max_words=12))
    data_dir = tmp_path_factory.mktemp("quality-data")
    return Settings(data_dir=data_dir, warmup=False, seed_dir=seed_dir, _env_file=None)


@pytest.fixture(scope="session")
def quality_models(quality_settings: Settings) -> EmbeddedModels:
    return load_shared_models(embedded_options(quality_settings))


@pytest.fixture(scope="session")
def embedder() -> SentenceEmbedder:
    return SentenceEmbedder()


@pytest.fixture
def quality_engine(quality_models: EmbeddedModels, quality_settings: Settings) -> EmbeddedEngine:
    """Unpaced: reply audio arrives as fast as it is made (a check needs the audio, not real-time playback)."""
    return EmbeddedEngine(embedded_options(quality_settings), models=quality_models, pace_audio=False)


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Database]:
    """A fresh, migrated SQLite file holding the seed personas and scene tones."""
    db = Database(f"sqlite:///{tmp_path / 'studio.db'}")
    db.migrate()
    with db.session() as session:
        seed_if_empty(session, SEED_DIR)
    yield db
    db.dispose()


def greeting_script(persona: str = "nova-in-car", scene: str = "in-car", **expect: object) -> CheckScript:
    """A script that checks only the spoken greeting (fixed text, no chat model: fast and deterministic)."""
    return CheckScript.model_validate({"persona": persona, "scene": scene, "greeting": expect})


def write_script(path: Path, script: CheckScript | dict) -> Path:
    data = script.model_dump(mode="json", exclude_none=True) if isinstance(script, CheckScript) else script
    path.write_text(json.dumps(data), encoding="utf-8")
    return path
