"""`stepaudio-ui check` end to end in this process (models shared with the other quality tests): exit codes and output."""

from __future__ import annotations

import re

import pytest

from stepaudio_ui.cli import main
from tests.quality.conftest import greeting_script, write_script


@pytest.fixture
def check(quality_settings, quality_models, capsys):  # noqa: ANN001, ANN201 - a runner returning (status, out, err)
    """Runs the CLI against the shared data dir (its embedded options equal the loaded models' options)."""

    def _run(*args: str) -> tuple[int, str, str]:
        status = main(["--data-dir", str(quality_settings.data_dir), "check", *args])
        out, err = capsys.readouterr()
        return status, out, err

    return _run


def test_check_exit_codes_reports_listing_and_comparison(check, tmp_path):
    passing = write_script(tmp_path / "pass.json", greeting_script(must_mention=["Nova"], max_words=12))
    failing = write_script(tmp_path / "fail.json", greeting_script(must_mention=["charger"], max_words=12))

    status, out, err = check("nova-in-car", "--script", str(passing))
    assert status == 0, err
    assert "PASSED" in out and "[PASS] must_mention:Nova" in out and "License: Apache-2.0" in out
    first = int(re.search(r"Check run #(\d+)", out).group(1))

    status, out, _ = check("nova-in-car", "--script", str(failing), "--engine", "embedded")
    assert status == 1 and "FAILED (1 of 4 checks)" in out and "[FAIL] must_mention:charger" in out
    second = int(re.search(r"Check run #(\d+)", out).group(1))

    status, out, _ = check("nova-in-car", "--list")
    assert status == 0 and f"#{second} nova-in-car v1 x in-car v1 on embedded" in out and "FAIL 1/4" in out
    status, out, _ = check("--show", str(second))
    assert status == 1 and "[FAIL] must_mention:charger" in out
    status, out, _ = check("--compare", str(first), str(second))
    assert status == 0 and "No check flipped." in out and f"only in #{second}" in out


def test_check_usage_errors_exit_2_and_say_what_to_fix(check, tmp_path):
    status, _, err = check("no-such-persona")
    assert status == 2 and "no check script for 'no-such-persona'" in err and "--script" in err
    bad = tmp_path / "bad.json"
    bad.write_text('{"persona": "nova-in-car", "turns": [{"sya": "hi"}]}')
    status, _, err = check("nova-in-car", "--script", str(bad))
    assert status == 2 and "turns.0.sya: Extra inputs are not permitted" in err
    other = write_script(
        tmp_path / "other.json", greeting_script(persona="sam-support", scene="support-desk", must_mention=["Sam"])
    )
    status, _, err = check("nova-in-car", "--script", str(other))
    assert status == 2 and "checks persona 'sam-support', not 'nova-in-car'" in err
    status, _, err = check("nova-in-car", "--engine", "warp-drive")
    assert status == 2 and "unknown engine 'warp-drive'; choose one of: embedded" in err
    status, _, err = check("--show", "9999")
    assert status == 2 and "no check run #9999" in err
