"""Shared test setup: offline model hubs, a fresh data directory per test, output folder for artefacts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# No hub downloads, ever, on the default path: a test that tries one fails instead of hanging.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO_ROOT = Path(__file__).resolve().parent.parent
TEST_OUTPUT = REPO_ROOT / "test-output"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def settings(data_dir: Path):  # noqa: ANN201 - returns stepaudio_ui.settings.Settings
    from stepaudio_ui.settings import Settings

    return Settings(data_dir=data_dir, warmup=False, _env_file=None)


@pytest.fixture(scope="session")
def output_dir() -> Path:
    """Screenshots, WAVs and reports the tests leave for people to look at."""
    TEST_OUTPUT.mkdir(exist_ok=True)
    return TEST_OUTPUT
