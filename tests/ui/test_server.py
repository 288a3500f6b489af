"""`python app.py` as a user runs it: a real process, a real port, the settings from the environment."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.browser_support import REPO_ROOT, free_port


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback only
        return response.status, response.read().decode("utf-8", "replace")


def test_app_py_serves_ui_and_health_on_the_configured_port(tmp_path: Path) -> None:
    port = free_port()
    data_dir = tmp_path / "data"
    env = {
        **os.environ,
        "GRADIO_SERVER_PORT": str(port),  # the Spaces / Gradio variable is honoured
        "STEPAUDIO_DATA_DIR": str(data_dir),
        "STEPAUDIO_WARMUP": "false",
        "HF_HUB_OFFLINE": "1",
    }
    log_path = tmp_path / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "app.py"], cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = _get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                assert process.poll() is None, f"app.py exited early:\n{log_path.read_text()}"
                assert time.monotonic() < deadline, f"app.py did not answer in 60 s:\n{log_path.read_text()}"
                time.sleep(0.25)
        assert (status, body) == (200, '{"status":"ok"}')
        status, page = _get(f"http://127.0.0.1:{port}/")
        assert status == 200 and "StepAudio Persona Studio" in page
    finally:
        process.terminate()
        process.wait(timeout=15)
    log_text = log_path.read_text()
    assert f"StepAudio Persona Studio on http://127.0.0.1:{port}" in log_text
    assert str(data_dir / "studio.db") in log_text  # the database path is logged
    assert (data_dir / "studio.db").is_file()  # the data directory was created
