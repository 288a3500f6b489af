"""Schema: migrations match the models, an 0001 database upgrades with its data, SQLite pragmas are on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy.exc
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from stepaudio_ui import conversations, studio
from stepaudio_ui.store import Database, head_revision
from tests.store.examples import persona_spec
from tests.store.processes import Worker


def test_migrations_create_exactly_the_models(db: Database) -> None:
    with db.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), SQLModel.metadata) == []
    assert db.current_revision() == head_revision()
    db.migrate()  # idempotent
    assert db.current_revision() == head_revision()


def test_a_0001_database_upgrades_keeping_its_data(make_db_url: Callable[[], str]) -> None:
    url = make_db_url()
    old = Database(url)
    old.migrate("0001")
    assert old.current_revision() == "0001"
    with old.session() as s:
        studio.create_item(s, kind="persona", spec=persona_spec(), author="kim")
        studio.save_version(s, kind="persona", slug="ada", spec=persona_spec(tagline="v2"), base_number=1, author="kim")
        studio.publish_version(s, kind="persona", slug="ada", number=1)
    assert not inspect(old.engine).has_table("conversation")
    old.dispose()

    upgraded = Database(url)
    upgraded.migrate()
    assert upgraded.current_revision() == head_revision()
    with upgraded.session() as s:
        versions = studio.list_versions(s, kind="persona", slug="ada")
        assert [(v.number, v.spec.tagline, v.published) for v in versions] == [
            (2, "v2", False),
            (1, "A calm helper.", True),
        ]
        conversation_id = conversations.start_conversation(
            s, persona_slug="ada", persona_version=1, scene_slug=None, scene_version=None, engine="embedded"
        )
        assert conversations.get_conversation(s, conversation_id=conversation_id).summary.persona_slug == "ada"
    upgraded.dispose()


def test_sqlite_runs_in_wal_with_foreign_keys(sqlite_db: Database) -> None:
    with sqlite_db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    with sqlite_db.engine.connect() as connection, pytest.raises(sqlalchemy.exc.IntegrityError, match="FOREIGN KEY"):
        connection.execute(
            text(
                "INSERT INTO persona_version (persona_id, number, spec, author, note, created_at) VALUES (99, 1, '{}', 'x', '', :t)"
            ),
            {"t": datetime.now(UTC)},
        )
        connection.commit()


def test_from_settings_creates_the_data_dir(tmp_path: Path) -> None:
    from stepaudio_ui.settings import Settings

    settings = Settings(data_dir=tmp_path / "nested" / "data", _env_file=None)
    database = Database.from_settings(settings)
    database.migrate()
    assert (tmp_path / "nested" / "data" / "studio.db").is_file()
    database.dispose()


def test_servers_starting_together_on_a_fresh_database_all_migrate(
    make_db_url: Callable[[], str], tmp_path: Path
) -> None:
    """Replicas (or the app and the CLI) starting at once on a fresh database: one creates the schema, the
    others wait for it and find it done, instead of failing on a table that already exists."""
    url = make_db_url()
    servers = [Worker("migrate", url, log=tmp_path / f"server-{index}.log") for index in range(2)]
    for server in servers:
        server.expect("ready")
    for server in servers:
        server.send("go")
    outcomes = [server.expect("", timeout=120) for server in servers]
    for server in servers:
        server.finish()
    assert outcomes == [f"migrated {head_revision()}"] * len(servers)
