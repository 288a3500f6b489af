"""Helpers for tests that run store writers in other processes (tests/store/store_worker.py) and then check
that the database is whole: the fault tests and the backup tests."""

from __future__ import annotations

import queue
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

from sqlalchemy import make_url
from sqlmodel import select

from stepaudio_ui.studio import library as studio
from stepaudio_ui.studio.specs import PersonaSpec
from stepaudio_ui.studio.store import Database, Persona, PersonaVersion, head_revision
from tests.store.examples import persona_spec

REPO_ROOT = Path(__file__).resolve().parents[2]
SLUGS = ["ada", "bo", "cy"]


class Worker:
    """`python -m tests.store.store_worker ...` with its stdout lines collected by a thread."""

    def __init__(self, *args: str, log: Path) -> None:
        self.log = log
        self._stderr = log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.store.store_worker", *args],
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.seen.append(line.strip())
            self.lines.put(line.strip())
        self.lines.put(None)  # the process closed its output: it ended

    def expect(self, prefix: str, timeout: float = 60.0) -> str:
        """The next line, which must start with `prefix`."""
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            self.kill()
            raise AssertionError(f"worker said nothing for {timeout} s; its stderr:\n{self.log.read_text()}") from None
        if line is None:
            self.process.wait(timeout=30)
            raise AssertionError(f"worker exited ({self.process.returncode}); its stderr:\n{self.log.read_text()}")
        assert line.startswith(prefix), f"expected {prefix!r}, got {line!r}; stderr:\n{self.log.read_text()}"
        return line

    def send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def kill(self) -> None:
        """SIGKILL: no cleanup, no rollback by the process itself. Then read what it said before dying."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self._reader.join(timeout=30)
        self._stderr.close()

    def finish(self) -> None:
        assert self.process.wait(timeout=60) == 0, self.log.read_text()
        self._reader.join(timeout=30)
        self._stderr.close()


def create_personas(db: Database) -> None:
    with db.session() as s:
        for slug in SLUGS:
            studio.create_item(s, kind="persona", spec=persona_spec(slug.title()), author="kim", slug=slug)


def assert_consistent(db: Database, acknowledged: dict[tuple[str, int], str]) -> int:
    """The database opens and checks out; every version the worker reported committed is there, whole.
    Returns how many versions there are."""
    parsed = make_url(db.url)
    if parsed.get_backend_name() == "sqlite":
        with sqlite3.connect(str(parsed.database)) as raw:
            assert [row[0] for row in raw.execute("PRAGMA integrity_check")] == ["ok"]
            assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
    reopened = Database(db.url)
    try:
        reopened.migrate()  # a no-op on a consistent database
        assert reopened.current_revision() == head_revision()
        total = 0
        with reopened.session() as s:
            for identity in s.exec(select(Persona)).all():
                rows = s.exec(
                    select(PersonaVersion)
                    .where(PersonaVersion.persona_id == identity.id)
                    .order_by(PersonaVersion.number)
                ).all()
                # No half version: numbers run 1..latest without a gap, and the identity row's copy of the
                # latest version (name, tagline) agrees with the latest version row.
                assert [row.number for row in rows] == list(range(1, identity.latest_number + 1)), identity.slug
                specs = [PersonaSpec.model_validate_json(row.spec) for row in rows]  # every spec whole
                assert (identity.name, identity.summary) == (specs[-1].name, specs[-1].tagline)
                total += len(rows)
            for (slug, number), tagline in acknowledged.items():
                saved = studio.get_version(s, kind="persona", slug=slug, number=number)
                assert saved.spec.tagline == tagline, f"{slug} v{number} was committed, then lost"
        return total
    finally:
        reopened.dispose()


def acknowledged_saves(lines: list[str]) -> dict[tuple[str, int], str]:
    saved = {}
    for line in lines:
        if line.startswith("saved "):
            _, slug, number, tagline = line.split(" ", 3)
            saved[(slug, int(number))] = tagline
    return saved
