"""A database URL whose driver is not installed is refused with the install command, not a traceback."""

from __future__ import annotations

import importlib.util

import pytest

from stepaudio_ui.store import Database


@pytest.mark.skipif(importlib.util.find_spec("pymysql") is not None, reason="pymysql is installed here")
def test_a_url_whose_driver_is_missing_names_the_driver() -> None:
    with pytest.raises(RuntimeError, match="needs the database driver 'pymysql': install it"):
        Database("mysql+pymysql://studio:secret@db.example/studio")


def test_postgresql_names_the_extra_that_installs_its_driver(tmp_path: object) -> None:
    if importlib.util.find_spec("psycopg") is not None:
        pytest.skip("psycopg is installed here: the postgres extra is present")
    with pytest.raises(RuntimeError, match=r"pip install 'stepaudio-ui\[postgres\]'"):
        Database("postgresql://studio:secret@db.example/studio")
