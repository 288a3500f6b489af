"""`stepaudio-ui db backup`: a consistent copy of a live SQLite database.

SQLite's online backup API copies every page inside one read transaction (`pages=-1`: a single step),
so the copy is the database exactly as it was at one instant, even while the app keeps saving
versions: in WAL mode that read never blocks a writer, and a writer never disturbs the read. The copy
is written beside the destination, switched to a plain rollback journal so it is one self-contained
file, checked with `PRAGMA integrity_check`, and only then renamed into place, so a failed or
interrupted backup never leaves a half file under the requested name.

PostgreSQL has its own tool for this (pg_dump); the error for a PostgreSQL URL says how to use it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import make_url

from stepaudio_ui.studio.core import StudioError
from stepaudio_ui.studio.store import SQLITE_BUSY_TIMEOUT_S

logger = logging.getLogger(__name__)

_COUNTED_TABLES = ("persona", "persona_version", "scene", "scene_version", "conversation")


class BackupProblem(StudioError):
    """The backup cannot be made; the message says why and what to do instead."""


@dataclass(frozen=True)
class BackupReport:
    source: Path
    out: Path
    size_bytes: int
    seconds: float
    revision: str | None
    row_counts: dict[str, int]

    def describe(self) -> str:
        counts = ", ".join(f"{count:,} {table}" for table, count in self.row_counts.items())
        return (
            f"backed up {self.source} to {self.out} ({self.size_bytes:,} bytes in {self.seconds:.2f} s; "
            f"schema revision {self.revision or 'none'}; {counts}); integrity check ok"
        )


def pg_dump_advice(url: str) -> str:
    """What to run instead for a PostgreSQL database (pg_dump takes a libpq URL, without '+psycopg')."""
    parsed = make_url(url)
    plain = parsed.set(drivername="postgresql").render_as_string(hide_password=True)
    return (
        f"the database is PostgreSQL ({plain}); back it up with PostgreSQL's own tool, e.g. "
        f"`pg_dump --format=custom --file=studio.dump '{plain}'` (consistent while the app runs), and restore "
        "into an empty database with `pg_restore --dbname=URL studio.dump`"
    )


def sqlite_file_of(url: str) -> Path:
    """The database file behind a SQLite URL; PostgreSQL and in-memory databases are refused clearly."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        raise BackupProblem(pg_dump_advice(url))
    if parsed.get_backend_name() != "sqlite":
        raise BackupProblem(f"`db backup` copies SQLite databases; {parsed.get_backend_name()} has its own backup tool")
    if not parsed.database or parsed.database == ":memory:":
        raise BackupProblem("the database is in memory: there is no file to back up; set STEPAUDIO_DATA_DIR")
    return Path(parsed.database)


def backup_database(url: str, out: Path, *, overwrite: bool = False) -> BackupReport:
    """Back up the database at `url` (SQLite) to the file `out`."""
    return backup_sqlite(sqlite_file_of(url), out, overwrite=overwrite)


def backup_sqlite(source: Path, out: Path, *, overwrite: bool = False) -> BackupReport:
    """A consistent, integrity-checked copy of the live SQLite database `source`, written to `out`."""
    source, out = source.resolve(), out.resolve()
    if not source.is_file():
        raise BackupProblem(f"there is no database at {source}; check STEPAUDIO_DATA_DIR (or --data-dir)")
    if out == source:
        raise BackupProblem(f"--out {out} is the database itself; write the backup to another file")
    if out.exists() and not overwrite:
        raise BackupProblem(f"{out} already exists; choose a new file name or pass --force to replace it")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial-{os.getpid()}")
    partial.unlink(missing_ok=True)
    started = time.perf_counter()
    try:
        revision, row_counts = _copy_and_check(source, partial)
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    report = BackupReport(
        source=source,
        out=out,
        size_bytes=out.stat().st_size,
        seconds=time.perf_counter() - started,
        revision=revision,
        row_counts=row_counts,
    )
    logger.info("%s", report.describe())
    return report


def _copy_and_check(source: Path, partial: Path) -> tuple[str | None, dict[str, int]]:
    # mode=rw: a mistyped path must not create an empty database to "back up".
    reader = sqlite3.connect(f"file:{source}?mode=rw", uri=True, timeout=SQLITE_BUSY_TIMEOUT_S)
    try:
        with contextlib.closing(sqlite3.connect(partial)) as copy:
            try:
                reader.backup(copy, pages=-1)  # one step = one read transaction = one instant
            except sqlite3.DatabaseError as error:
                raise BackupProblem(f"{source} could not be read as a SQLite database ({error})") from None
            # The copy inherits WAL mode from the source header; a backup should be one plain file.
            copy.execute("PRAGMA journal_mode=DELETE")
            problems = [row[0] for row in copy.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                raise BackupProblem(
                    f"the copy of {source} fails SQLite's integrity check ({'; '.join(problems[:3])}); "
                    "the source database itself is damaged: keep it, and restore from an earlier backup"
                )
            revision, row_counts = _describe(copy)
    finally:
        reader.close()
    with open(partial, "rb") as handle:  # on disk before it gets the real name
        os.fsync(handle.fileno())
    return revision, row_counts


def _describe(copy: sqlite3.Connection) -> tuple[str | None, dict[str, int]]:
    tables = {row[0] for row in copy.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    revision = None
    if "alembic_version" in tables:
        found = copy.execute("SELECT version_num FROM alembic_version").fetchone()
        revision = found[0] if found else None
    row_counts = {
        table: int(copy.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608 - fixed names
        for table in _COUNTED_TABLES
        if table in tables
    }
    return revision, row_counts
