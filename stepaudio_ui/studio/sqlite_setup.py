"""How a SQLite connection is set up: WAL, foreign keys, a busy timeout, and our own BEGIN.

Write transactions carry the execution option `WRITE_OPTION` and begin IMMEDIATE, so two savers queue on
the write lock instead of failing late. Installed by `store.Database` on a SQLite URL, with the store's busy timeout; PostgreSQL needs none
of this (its writers take an advisory lock, see `store.write_transaction`).
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

# Execution option that makes the SQLite BEGIN an IMMEDIATE one (see `store.write_transaction`).
WRITE_OPTION = "stepaudio_write"


def _enable_wal(cursor: sqlite3.Cursor, busy_timeout_s: float) -> None:
    """Put the database file in WAL mode (a property of the file: set once, kept).

    Switching needs an exclusive lock, and SQLite refuses it at once ("database is locked", without the
    busy handler) while another process opens the same new file; servers starting together on a fresh
    database would then fail. Retry briefly instead, up to the busy timeout.
    """
    deadline = time.monotonic() + busy_timeout_s
    while True:
        try:
            if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def install_sqlite_pragmas(engine: Engine, busy_timeout_s: float) -> None:
    """WAL (readers never block the writer), foreign keys, a busy timeout, and our own BEGIN.

    The stdlib driver (Python < 3.12) never emits BEGIN before a SELECT, so reads and writes would not
    share one snapshot; we take over BEGIN (the recipe in SQLAlchemy's SQLite docs) and make write
    transactions BEGIN IMMEDIATE, so two savers queue on the write lock instead of failing late.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")  # first: the rest may wait
        _enable_wal(cursor, busy_timeout_s)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL; a commit costs no fsync
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
