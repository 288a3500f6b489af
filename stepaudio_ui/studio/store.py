"""The database: SQLModel tables and the `Database` object that owns the engine.

Personas and scene tones share one shape: an identity row (slug, archived, published version, plus a
denormalised copy of the latest version's name / summary / tags so that listing and searching
10,000 items never touches the version table) and immutable numbered version rows holding the spec
as JSON text. Conversations record which versions and which engine a live session ran on.

The schema is owned by Alembic migrations (stepaudio_ui/migrations); `Database.migrate()` runs them
programmatically, and tests check that the migrations and these models agree, on SQLite and PostgreSQL.
Nothing here is SQLite-only: specs are JSON in TEXT columns, search runs on a lower-cased copy
(`search_text`), and writers are serialised on both backends (see `write_transaction`); how a SQLite
connection is set up for that (WAL, busy timeout, BEGIN IMMEDIATE for writes) is `sqlite_setup`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Index, Text, UniqueConstraint
from sqlalchemy.engine import Connection, Engine, make_url
from sqlmodel import Field, Session, SQLModel, create_engine

from stepaudio_ui.studio.sqlite_setup import WRITE_OPTION, install_sqlite_pragmas

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"  # stepaudio_ui/migrations
# How long a writer waits for the write lock, on both backends, before it fails instead of hanging.
SQLITE_BUSY_TIMEOUT_S = 15.0
# Key of the PostgreSQL transaction-level advisory lock every write transaction takes (any fixed
# 64-bit number; this one is "stepaud" in ASCII). It plays the role of SQLite's BEGIN IMMEDIATE.
POSTGRES_WRITE_LOCK_KEY = 0x73746570617564
# `postgresql://` alone would pick psycopg2, which we do not ship; psycopg (v3) is the driver we install.
_POSTGRES_PREFIXES = ("postgresql://", "postgres://")


def utc_now() -> datetime:
    """Aware UTC; SQLModel's datetime type stores UTC and gives back aware UTC values."""
    return datetime.now(UTC)


# --------------------------------------------------------------------------- personas and scenes


class _ItemIdentity(SQLModel):
    """Columns shared by `Persona` and `Scene`; everything after `published_version` mirrors the
    latest version and is rewritten in the same transaction that adds a version."""

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=63)
    created_at: datetime = Field(default_factory=utc_now)
    archived: bool = False
    published_version: int | None = None
    latest_number: int = 0
    name: str = ""
    summary: str = ""  # tagline (persona) or description (scene)
    language: str = ""
    tags_text: str = Field(default="", description="'|tag1|tag2|' so a tag filter is a LIKE on '|tag|'")
    search_text: str = Field(default="", description="lower-cased name, slug, summary and tags")
    updated_at: datetime = Field(default_factory=utc_now)


class _ItemVersion(SQLModel):
    id: int | None = Field(default=None, primary_key=True)
    number: int
    spec: str = Field(sa_type=Text)  # JSON of the spec's model_dump()
    author: str = ""
    note: str = ""
    created_at: datetime = Field(default_factory=utc_now)
    based_on: int | None = None


def _identity_table_args(table: str) -> tuple[Any, ...]:
    """A kind's identity table: one row per slug, listed by (archived, updated_at)."""
    return (UniqueConstraint("slug", name=f"uq_{table}_slug"), Index(f"ix_{table}_listing", "archived", "updated_at"))


def _version_table_args(owner: str) -> tuple[Any, ...]:
    """A kind's version table: version numbers are unique per owner (the last defence against two savers)."""
    return (UniqueConstraint(f"{owner}_id", "number", name=f"uq_{owner}_version_number"),)


class Persona(_ItemIdentity, table=True):
    __tablename__ = "persona"
    __table_args__ = _identity_table_args("persona")


class PersonaVersion(_ItemVersion, table=True):
    __tablename__ = "persona_version"
    __table_args__ = _version_table_args("persona")
    persona_id: int = Field(foreign_key="persona.id")


class Scene(_ItemIdentity, table=True):
    __tablename__ = "scene"
    __table_args__ = _identity_table_args("scene")


class SceneVersion(_ItemVersion, table=True):
    __tablename__ = "scene_version"
    __table_args__ = _version_table_args("scene")
    scene_id: int = Field(foreign_key="scene.id")


# --------------------------------------------------------------------------- conversations


class Conversation(SQLModel, table=True):
    __tablename__ = "conversation"
    __table_args__ = (Index("ix_conversation_started_at", "started_at"),)
    id: int | None = Field(default=None, primary_key=True)
    # None with None: no persona, a plain assistant its /v1/realtime client instructs itself.
    persona_slug: str | None = None
    persona_version: int | None = None
    scene_slug: str | None = None
    scene_version: int | None = None
    engine: str
    # The brain that answered (embedded engine: the chat model's id) and its card as JSON; None for
    # engines with no brain of ours, and for conversations recorded before this was kept.
    brain: str | None = None
    brain_card: str | None = Field(default=None, sa_type=Text)
    started_at: datetime = Field(default_factory=utc_now)
    ended_at: datetime | None = None
    end_reason: str | None = None


class ConversationTurn(SQLModel, table=True):
    __tablename__ = "conversation_turn"
    __table_args__ = (UniqueConstraint("conversation_id", "index", name="uq_conversation_turn_index"),)
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id")
    index: int
    role: str  # "user" | "assistant"
    text: str = Field(sa_type=Text)
    interrupted: bool = False
    started_at: datetime = Field(default_factory=utc_now)
    timings: str = Field(default="{}", sa_type=Text)  # JSON object
    audio_path: str | None = None


# --------------------------------------------------------------------------- the database


class MissingDriverError(RuntimeError):
    """The database URL names a driver that is not installed (the message says how to install it)."""


class Database:
    """Owns the SQLAlchemy engine for one database URL. Built by the app, the CLI or a test."""

    def __init__(self, url: str) -> None:
        for prefix in _POSTGRES_PREFIXES:
            if url.startswith(prefix):
                url = "postgresql+psycopg://" + url.removeprefix(prefix)
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        connect_args: dict[str, Any] = {}
        options: dict[str, Any] = {}
        if self.is_sqlite:
            # Sessions are used from Gradio worker threads; each session holds its own connection.
            connect_args = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S}
        else:
            options["pool_pre_ping"] = True  # a server restart must not break the next request
        try:
            self.engine: Engine = create_engine(url, connect_args=connect_args, **options)
        except ModuleNotFoundError as error:  # the URL's driver is an optional extra
            fix = "pip install 'stepaudio-ui[postgres]'" if url.startswith("postgresql") else "install it"
            shown = make_url(url).render_as_string(hide_password=True)
            raise MissingDriverError(f"{shown} needs the database driver {error.name!r}: {fix}.") from error
        if self.is_sqlite:
            install_sqlite_pragmas(self.engine, SQLITE_BUSY_TIMEOUT_S)

    @property
    def display_url(self) -> str:
        """The URL without its password, for logs and messages."""
        return self.engine.url.render_as_string(hide_password=True)

    @classmethod
    def from_settings(cls, settings: Any) -> Database:
        """`settings` is a stepaudio_ui.settings.Settings; creates the data directory first."""
        settings.ensure_dirs()
        return cls(settings.resolved_database_url())

    def migrate(self, revision: str = "head") -> None:
        """Upgrade the schema to `revision` (Alembic). Idempotent; an older database keeps its data.

        Runs under the same write lock as saves, so servers starting together on a fresh database queue:
        the first creates the schema, the others then find it at `revision` and do nothing.
        """
        from alembic import command

        with self.engine.connect() as connection:
            connection.execution_options(**{WRITE_OPTION: True})
            with connection.begin():
                _take_postgres_write_lock(connection)
                command.upgrade(alembic_config(connection), revision)
        logger.info("database %s migrated to %s", self.display_url, revision)

    def current_revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A session for one unit of work; studio functions commit their own writes.

        `expire_on_commit=False`: views built after a commit must not reload rows lazily.
        """
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def head_revision() -> str:
    """The newest migration shipped with this code."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(config).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations under {MIGRATIONS_DIR}: the package is incomplete; reinstall it")
    return head


def alembic_config(connection: Connection) -> Any:
    """An Alembic Config pointing at our packaged migrations, running on `connection` (no ini file)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def _take_postgres_write_lock(connection: Connection) -> None:
    """Held until the transaction ends (commit, rollback, or the client dying); a no-op on SQLite,
    whose write transactions already begin IMMEDIATE. Waits as long as SQLite's busy timeout, then
    fails (LockNotAvailable) instead of hanging a request behind a stuck writer."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{int(SQLITE_BUSY_TIMEOUT_S * 1000)}ms'")
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({POSTGRES_WRITE_LOCK_KEY})")


@contextlib.contextmanager
def write_transaction(session: Session) -> Iterator[Session]:
    """One atomic write: commits on success, rolls back on any error.

    A read transaction the caller already has open is ended first and rows it loaded are expired, so
    the write reads fresh data. Writers are serialised up front: on SQLite the write begins IMMEDIATE
    (takes the write lock), on PostgreSQL it takes a transaction-level advisory lock (READ COMMITTED,
    so every statement after the lock sees the other writers' commits). Either way the second of two
    concurrent savers waits, then sees the first one's version and gets a conflict; readers never wait.
    The unique constraints stay as the last line of defence.
    """
    if session.in_transaction():
        session.commit()
    session.expire_all()
    _take_postgres_write_lock(session.connection(execution_options={WRITE_OPTION: True}))
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
