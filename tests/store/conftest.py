"""Store tests run on both backends: a migrated SQLite file per test, and a fresh PostgreSQL schema per test.

PostgreSQL comes from STEPAUDIO_TEST_POSTGRES_URL (scripts/test.sh starts a throwaway server and sets it).
Without it the PostgreSQL leg is skipped when pytest is run by hand, and fails in CI (CI=true), where a
missing server must never pass as green.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url
from sqlmodel import Session

from stepaudio_ui.store import Database

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


class PostgresSchemas:
    """Fresh schemas on the test server; each Database URL pins its search_path to one of them."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
        self.created: list[str] = []

    def new_url(self) -> str:
        schema = f"t_{uuid.uuid4().hex[:16]}"
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
        self.created.append(schema)
        url = make_url(self.server_url).update_query_dict({"options": f"-csearch_path={schema}"})
        return url.render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with self.admin.connect() as connection:
            for schema in self.created:
                connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        self.admin.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_db_url(backend: str, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """Makes URLs of fresh, empty databases on this test's backend (not migrated)."""
    if backend == "sqlite":
        counter = iter(range(1_000))
        yield lambda: f"sqlite:///{tmp_path / f'studio-{next(counter)}.db'}"
        return
    schemas = PostgresSchemas(postgres_server_url())
    try:
        yield schemas.new_url
    finally:
        schemas.drop_all()


@pytest.fixture
def make_db(make_db_url: Callable[[], str]) -> Iterator[MakeDatabase]:
    """Makes fresh migrated databases on this test's backend; disposed after the test."""
    made: list[Database] = []

    def make() -> Database:
        database = Database(make_db_url())
        database.migrate()
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
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    """For what only SQLite has (pragmas, the file backup)."""
    database = Database(f"sqlite:///{tmp_path / 'studio.db'}")
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    with db.session() as s:
        yield s
