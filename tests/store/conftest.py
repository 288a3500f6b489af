"""Store tests run on both backends: a fresh migrated SQLite file, or a fresh PostgreSQL database, per test.

PostgreSQL comes from STEPAUDIO_TEST_POSTGRES_URL (scripts/test.sh starts a throwaway server and sets it); its
user must be allowed to create databases: every test gets its own, dropped afterwards.
Without it the PostgreSQL leg is skipped when pytest is run by hand, and fails in CI (CI=true), where a
missing server must never pass as green.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url
from sqlmodel import Session

from stepaudio_ui.studio.store import Database

POSTGRES_URL_VAR = "STEPAUDIO_TEST_POSTGRES_URL"
BACKENDS = ["sqlite", "postgresql"]

MakeDatabase = Callable[[], Database]


def postgres_server_url() -> str:
    """The test server's URL, or skip (by hand) / fail (in CI) naming what to set."""
    url = os.environ.get(POSTGRES_URL_VAR)
    if url:
        return url
    reason = (
        f"PostgreSQL leg needs {POSTGRES_URL_VAR}=postgresql+psycopg://USER@HOST:PORT/DB "
        "(scripts/test.sh starts a server and sets it)"
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}; in CI the store suite must run on PostgreSQL too", pytrace=False)
    pytest.skip(reason)


class PostgresDatabases:
    """Creates databases on the test server (optionally as copies of a template) and drops them afterwards."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
        self.created: list[str] = []

    def create(self, template: str | None = None) -> str:
        name = f"stepaudio_t_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
        self.created.append(name)
        return make_url(self.server_url).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with self.admin.connect() as connection:
            for name in self.created:
                # FORCE: a connection a killed test process left behind must not keep the database alive.
                connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self.admin.dispose()


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], str]]:
    """Migrated once per run; each test gets a copy (a file copy, or CREATE DATABASE ... TEMPLATE), which is
    several times faster than migrating a fresh database for every test. Built lazily per backend."""
    templates: dict[str, str] = {}
    postgres: list[PostgresDatabases] = []

    def build(backend: str) -> str:
        if backend not in templates:
            if backend == "sqlite":
                path = tmp_path_factory.mktemp("template") / "studio.db"
                url = f"sqlite:///{path}"
                templates[backend] = str(path)
            else:
                postgres.append(PostgresDatabases(postgres_server_url()))
                url = postgres[0].create()
                templates[backend] = str(make_url(url).database)
            database = Database(url)
            database.migrate()
            database.dispose()  # SQLite: checkpoints the WAL into the file; PostgreSQL: frees the template
        return templates[backend]

    yield build
    for databases in postgres:
        databases.drop_all()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_db_url(backend: str, tmp_path: Path, migrated_templates: Callable[[str], str]) -> Iterator[Callable[..., str]]:
    """Makes URLs of fresh databases on this test's backend: empty, or `migrated=True` (a copy of the template)."""
    counter = iter(range(1_000))
    if backend == "sqlite":

        def make_sqlite(migrated: bool = False) -> str:
            path = tmp_path / f"studio-{next(counter)}.db"
            if migrated:
                shutil.copyfile(migrated_templates("sqlite"), path)
            return f"sqlite:///{path}"

        yield make_sqlite
        return
    databases = PostgresDatabases(postgres_server_url())
    try:
        yield lambda migrated=False: databases.create(migrated_templates("postgresql") if migrated else None)
    finally:
        databases.drop_all()


@pytest.fixture
def make_db(make_db_url: Callable[..., str]) -> Iterator[MakeDatabase]:
    """Makes fresh migrated databases on this test's backend; disposed after the test."""
    made: list[Database] = []

    def make() -> Database:
        database = Database(make_db_url(migrated=True))
        made.append(database)
        return database

    yield make
    for database in made:
        database.dispose()


@pytest.fixture
def db(make_db: MakeDatabase) -> Database:
    return make_db()


@pytest.fixture
def other_db(make_db: MakeDatabase) -> Database:
    """A second, empty database on the same backend (import / export round trips)."""
    return make_db()


@pytest.fixture
def sqlite_db(tmp_path: Path, migrated_templates: Callable[[str], str]) -> Iterator[Database]:
    """For what only SQLite has (pragmas, the file backup)."""
    shutil.copyfile(migrated_templates("sqlite"), tmp_path / "studio.db")
    database = Database(f"sqlite:///{tmp_path / 'studio.db'}")
    yield database
    database.dispose()


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    with db.session() as s:
        yield s
