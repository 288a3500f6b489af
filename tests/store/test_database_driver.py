"""A database URL whose driver is not installed is refused with the install command, not a traceback."""

from __future__ import annotations

import importlib.util

import pytest

from stepaudio_ui.cli import main
from stepaudio_ui.studio.store import Database


@pytest.mark.skipif(importlib.util.find_spec("pymysql") is not None, reason="pymysql is installed here")
def test_a_url_whose_driver_is_missing_names_the_driver() -> None:
    with pytest.raises(RuntimeError, match="needs the database driver 'pymysql': install it"):
        Database("mysql+pymysql://studio:secret@db.example/studio")


def test_postgresql_names_the_extra_that_installs_its_driver(tmp_path: object) -> None:
    if importlib.util.find_spec("psycopg") is not None:
        pytest.skip("psycopg is installed here: the postgres extra is present")
    with pytest.raises(RuntimeError, match=r"pip install 'stepaudio-ui\[postgres\]'"):
        Database("postgresql://studio:secret@db.example/studio")


@pytest.mark.skipif(importlib.util.find_spec("pymysql") is not None, reason="pymysql is installed here")
def test_the_cli_says_it_in_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("STEPAUDIO_DATABASE_URL", "mysql+pymysql://studio:secret@db.example/studio")
    assert main(["personas", "list"]) == 1
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "needs the database driver 'pymysql'" in error and "secret" not in error
