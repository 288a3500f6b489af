"""`pip install .` (not editable) gives an app that serves its seed library: the seeds, check scripts,
stylesheet and voice clips travel inside the package, and nothing is read from the checkout.

The package goes into a fresh virtual environment that sees this environment's dependencies through a
.pth line (so the test is offline and quick: `pip install --no-deps`), then the installed `stepaudio-ui`
command runs from a scratch folder, with no PYTHONPATH, so the checkout cannot be imported by accident.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

from tests.conftest import REPO_ROOT

SOURCE_PARTS = ("pyproject.toml", "README.md", "stepaudio_ui", "model")
SEED_PERSONAS = ("nova-in-car", "xiaoxing-service")


def _install(tmp_path: Path) -> Path:
    """A fresh venv with `pip install --no-deps .` of a copy of the source (the build leaves files behind)."""
    source = tmp_path / "source"
    for part in SOURCE_PARTS:
        path = REPO_ROOT / part
        if path.is_dir():
            shutil.copytree(path, source / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            source.mkdir(exist_ok=True)
            shutil.copy2(path, source / part)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    own_site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # This environment's packages, appended after the venv's own: the installed copy of the app wins.
    (Path(own_site) / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps"]
        + ["--no-build-isolation", "--no-index", str(source)],
        check=True,
        timeout=300,
        env={key: value for key, value in os.environ.items() if key != "PYTHONPATH"},
    )
    return venv


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_installed_package_serves_its_packaged_seeds(tmp_path: Path) -> None:
    venv = _install(tmp_path)
    scratch = tmp_path / "elsewhere"
    scratch.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHONPATH", "STEPAUDIO_"))}
    env |= {"STEPAUDIO_DATA_DIR": str(tmp_path / "data"), "STEPAUDIO_WARMUP": "false", "HF_HUB_OFFLINE": "1"}

    where = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import stepaudio_ui, model; print(stepaudio_ui.__file__, model.__file__)",
        ],
        cwd=scratch,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert str(REPO_ROOT) not in where and all(str(venv) in path for path in where.split()), where

    listed = subprocess.run(
        [str(venv / "bin" / "stepaudio-ui"), "personas", "list"],
        cwd=scratch,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert listed.returncode == 0, listed.stderr[-3000:]
    assert all(slug in listed.stdout for slug in SEED_PERSONAS), listed.stdout

    port = _free_port()
    server = subprocess.Popen(
        [str(venv / "bin" / "stepaudio-ui")],
        cwd=scratch,
        env=env | {"STEPAUDIO_DATA_DIR": str(tmp_path / "served"), "STEPAUDIO_PORT": str(port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        config = _get_when_up(f"http://127.0.0.1:{port}/config", server)
        assert "Nova" in config and "小星" in config  # seed personas in the pickers
        assert ".app-header h1" in config  # the packaged stylesheet
    finally:
        server.terminate()
        server.communicate(timeout=30)

    package = Path(where.split()[0]).parent
    packaged = (
        "seeds/checks/nova-in-car.json",
        "seeds/scenes/in-car.json",
        "assets/voices/jf_alpha.wav",
        "ui/i18n/zh.json",
    )
    for name in packaged:
        assert (package / name).is_file(), f"{name} is not in the installed package"
    assert not (package / "assets" / "screenshot.png").exists()  # the README's picture stays out of the wheel


def _get_when_up(url: str, server: subprocess.Popen[str], timeout_s: float = 120.0) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"stepaudio-ui exited with {server.returncode}: {server.communicate()[0][-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read().decode("utf-8")
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {timeout_s:.0f} s")
