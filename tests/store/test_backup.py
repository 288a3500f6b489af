"""`db backup`: a consistent copy of a live SQLite database, and the restore the README documents."""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlmodel import select

from stepaudio_ui.cli import main
from stepaudio_ui.studio import library as studio
from stepaudio_ui.studio.backup import BackupProblem, backup_database, backup_sqlite
from stepaudio_ui.studio.specs import PersonaSpec
from stepaudio_ui.studio.store import Database, Persona, PersonaVersion, head_revision
from tests.store.examples import persona_spec
from tests.store.processes import SLUGS, Worker, acknowledged_saves, assert_consistent, create_personas

BACKUPS_WHILE_WRITING = 5


def _check_copy(path: Path, committed_before: dict[tuple[str, int], str] | None = None) -> tuple[int, int]:
    """The copy is one plain file that passes the integrity check and holds only whole versions, including
    every version committed before the backup began. Returns (personas, versions)."""
    assert not Path(f"{path}-wal").exists() and not Path(f"{path}-shm").exists()
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    copy = Database(f"sqlite:///{path}")
    try:
        assert assert_consistent(copy, committed_before or {}) >= 1
        with copy.session() as s:
            return len(s.exec(select(Persona)).all()), len(s.exec(select(PersonaVersion)).all())
    finally:
        copy.dispose()


def test_backups_taken_while_another_thread_saves_versions_are_consistent(sqlite_db: Database, tmp_path: Path) -> None:
    with sqlite_db.session() as s:
        for name in ("Ada", "Bo"):
            studio.create_item(s, kind="persona", spec=persona_spec(name, character="x" * 5_000), author="kim")
    stop = threading.Event()
    saved: list[int] = []
    failures: list[BaseException] = []

    def keep_saving() -> None:
        try:
            with sqlite_db.session() as s:
                while not stop.is_set():
                    for slug in ("ada", "bo"):
                        latest = studio.get_version(s, kind="persona", slug=slug)
                        spec = latest.spec.model_copy(update={"tagline": f"save {len(saved)}"})
                        studio.save_version(
                            s, kind="persona", slug=slug, spec=spec, base_number=latest.number, author="lee"
                        )
                        saved.append(latest.number + 1)
        except BaseException as error:  # surfaced by the main thread's assert
            failures.append(error)

    writer = threading.Thread(target=keep_saving)
    writer.start()
    counts = []
    try:
        for index in range(BACKUPS_WHILE_WRITING):
            before = len(saved)
            while len(saved) < before + 3 and not failures:  # let the writer move on between backups
                threading.Event().wait(0.01)
            out = tmp_path / "backups" / f"studio-{index}.db"
            report = backup_sqlite(Path(str(sqlite_db.engine.url.database)), out)
            assert report.out == out and report.revision == head_revision() and report.size_bytes > 0
            assert report.row_counts["persona"] == 2
            counts.append(_check_copy(out))
    finally:
        stop.set()
        writer.join(timeout=30)
    assert not failures, failures
    assert [personas for personas, _ in counts] == [2] * BACKUPS_WHILE_WRITING
    versions = [versions for _, versions in counts]
    assert versions == sorted(versions) and versions[-1] > versions[0], versions  # the writer really ran


def test_backups_taken_while_another_process_saves_hold_everything_committed_before(
    sqlite_db: Database, tmp_path: Path
) -> None:
    create_personas(sqlite_db)
    worker = Worker("save-loop", sqlite_db.url, *SLUGS, log=tmp_path / "worker.log")
    sizes = []
    try:
        worker.expect("saved")
        for index in range(3):
            time.sleep(0.2)
            committed_before = acknowledged_saves(list(worker.seen))
            out = tmp_path / f"studio-{index}.db"
            backup_sqlite(Path(str(sqlite_db.engine.url.database)), out)
            sizes.append(_check_copy(out, committed_before)[1])
    finally:
        worker.kill()
    assert sizes == sorted(sizes) and sizes[-1] > sizes[0], sizes  # the worker kept saving across backups


def test_a_backup_refuses_what_it_cannot_do_and_says_what_to_do(sqlite_db: Database, tmp_path: Path) -> None:
    source = Path(str(sqlite_db.engine.url.database))
    with pytest.raises(BackupProblem, match=r"there is no database at .*missing\.db; check STEPAUDIO_DATA_DIR"):
        backup_sqlite(tmp_path / "missing.db", tmp_path / "out.db")
    assert not (tmp_path / "missing.db").exists()  # not created by looking for it
    with pytest.raises(BackupProblem, match="is the database itself"):
        backup_sqlite(source, source)
    (tmp_path / "taken.db").write_text("keep me")
    with pytest.raises(BackupProblem, match="already exists; choose a new file name or pass --force"):
        backup_sqlite(source, tmp_path / "taken.db")
    assert (tmp_path / "taken.db").read_text() == "keep me"
    assert backup_sqlite(source, tmp_path / "taken.db", overwrite=True).row_counts["persona"] == 0
    (tmp_path / "not-a-db.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(BackupProblem, match="could not be read as a SQLite database"):
        backup_sqlite(tmp_path / "not-a-db.db", tmp_path / "out.db")
    assert not (tmp_path / "out.db").exists() and list(tmp_path.glob(".out.db.partial*")) == []
    with pytest.raises(BackupProblem, match=r"PostgreSQL .*pg_dump --format=custom .*postgresql://ed:\*\*\*@db:5432/s"):
        backup_database("postgresql+psycopg://ed:secret@db:5432/s", tmp_path / "pg.db")


@pytest.fixture
def data_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("STEPAUDIO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("STEPAUDIO_SEED_DIR", str(tmp_path / "no-seed"))
    monkeypatch.delenv("STEPAUDIO_DATABASE_URL", raising=False)
    (tmp_path / "data").mkdir()
    return tmp_path


def test_cli_backup_then_restore_as_the_readme_says(data_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    database = Database(f"sqlite:///{data_env / 'data' / 'studio.db'}")
    database.migrate()
    with database.session() as s:
        studio.create_item(s, kind="persona", spec=persona_spec(), author="kim")
    database.dispose()
    assert main(["db", "backup", "--out", str(data_env / "backup.db")]) == 0
    assert "backed up" in capsys.readouterr().out
    assert main(["db", "backup", "--out", str(data_env / "backup.db")]) == 1
    assert "already exists" in capsys.readouterr().err

    # Restore: with the app stopped, the backup becomes studio.db in a (here: new) data directory.
    restored = data_env / "restored"
    restored.mkdir()
    shutil.copyfile(data_env / "backup.db", restored / "studio.db")
    assert main(["--data-dir", str(restored), "personas", "list"]) == 0
    assert capsys.readouterr().out.startswith("ada\tAda\tv1")


def test_an_older_backup_is_upgraded_when_restored(data_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = Database(f"sqlite:///{data_env / 'data' / 'studio.db'}")
    old.migrate("0001")
    with old.session() as s:
        studio.create_item(s, kind="persona", spec=persona_spec(), author="kim")
    old.dispose()
    assert main(["db", "backup", "--out", str(data_env / "old-backup.db")]) == 0
    assert "schema revision 0001" in capsys.readouterr().out
    restored = data_env / "restored"
    restored.mkdir()
    shutil.copyfile(data_env / "old-backup.db", restored / "studio.db")
    assert main(["--data-dir", str(restored), "db", "current"]) == 0
    assert (
        f"revision 0001; behind: `stepaudio-ui db upgrade` (or starting the app) upgrades it to {head_revision()}"
        in (capsys.readouterr().out)
    )
    assert main(["--data-dir", str(restored), "db", "upgrade"]) == 0
    assert capsys.readouterr().out.endswith(f"revision 0001 -> {head_revision()}\n")
    assert main(["--data-dir", str(restored), "db", "current"]) == 0
    assert capsys.readouterr().out.endswith("up to date\n")
    restored_db = Database(f"sqlite:///{restored / 'studio.db'}")
    with restored_db.session() as s:
        assert PersonaSpec.model_validate(studio.get_version(s, kind="persona", slug="ada").spec) is not None
    restored_db.dispose()


def test_cli_backup_of_postgresql_points_to_pg_dump(
    data_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STEPAUDIO_DATABASE_URL", "postgresql+psycopg://ed:secret@db.example:5432/studio")
    assert main(["db", "backup", "--out", str(data_env / "x.db")]) == 1
    error = capsys.readouterr().err
    assert "pg_dump --format=custom --file=studio.dump 'postgresql://ed:***@db.example:5432/studio'" in error
    assert "secret" not in error
