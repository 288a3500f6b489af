"""API keys and tokens are secrets in the settings: never shown when the settings are printed, logged or
dumped, and handed in plain text only to the one call that needs each (an engine, the /v1/realtime guard)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from stepaudio_ui.engines import embedded_options, remote_engines
from stepaudio_ui.settings import Settings

SECRETS = {
    "llm_openai_key": "llm-key-111",
    "stepfun_api_key": "stepfun-key-222",
    "openai_api_key": "openai-key-333",
    "realtime_token": "realtime-token-444",
}


def test_keys_and_tokens_never_show_in_logs_or_dumps(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(data_dir=tmp_path, _env_file=None, **SECRETS)  # type: ignore[arg-type]
    with caplog.at_level(logging.INFO):
        logging.getLogger("test").info("settings: %s / %r", settings, settings)
    shown = caplog.text + settings.model_dump_json() + str(settings.model_dump())
    for name, value in SECRETS.items():
        assert value not in shown, f"{name} is shown in plain text"

    assert embedded_options(settings).openai_key == SECRETS["llm_openai_key"]
    services = {name: engine.service for name, engine in remote_engines(settings).items() if hasattr(engine, "service")}
    assert services["stepfun"].api_key == SECRETS["stepfun_api_key"]
    assert services["gpt-realtime"].api_key == SECRETS["openai_api_key"]
    assert settings.realtime_token is not None
    assert settings.realtime_token.get_secret_value() == SECRETS["realtime_token"]


def test_keys_come_from_the_environment_and_empty_means_unset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEPAUDIO_OPENAI_API_KEY", "from-env-555")
    monkeypatch.setenv("STEPAUDIO_STEPFUN_API_KEY", "")
    settings = Settings(data_dir=tmp_path, _env_file=None)
    from stepaudio_ui.settings import secret

    assert secret(settings.openai_api_key) == "from-env-555" and "from-env-555" not in repr(settings)
    assert secret(settings.stepfun_api_key) is None  # an empty variable is no key
    assert secret(settings.realtime_token) is None
