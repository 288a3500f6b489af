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

from stepaudio_ui.live import conversations
from stepaudio_ui.studio import library as studio
from stepaudio_ui.studio.store import Database, alembic_config, head_revision
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


def _downgrade(database: Database, revision: str) -> None:
    from alembic import command

    with database.engine.connect() as connection, connection.begin():
        command.downgrade(alembic_config(connection), revision)


def _persona_columns_nullable(database: Database) -> list[bool]:
    columns = {column["name"]: column for column in inspect(database.engine).get_columns("conversation")}
    return [columns["persona_slug"]["nullable"], columns["persona_version"]["nullable"]]


def test_0007_keeps_conversations_without_a_persona_and_downgrades_without_losing_any(
    make_db_url: Callable[[], str],
) -> None:
    """0007 lets a conversation have no persona (a /v1/realtime client's own plain assistant); going back to
    0006 keeps those conversations under a stand-in persona, and coming up again restores "no persona"."""
    database = Database(make_db_url())
    database.migrate("0006")
    with database.session() as s:
        with_persona = conversations.start_conversation(
            s, persona_slug="ada", persona_version=1, scene_slug=None, scene_version=None, engine="embedded"
        )
        conversations.add_turn(s, conversation_id=with_persona, role="user", text="Hello Ada")
    assert _persona_columns_nullable(database) == [False, False]

    database.migrate()
    assert _persona_columns_nullable(database) == [True, True]
    with database.session() as s:
        plain = conversations.start_conversation(
            s, persona_slug=None, persona_version=None, scene_slug=None, scene_version=None, engine="embedded"
        )
        conversations.add_turn(s, conversation_id=plain, role="user", text="Be brief.")
        assert conversations.get_conversation(s, conversation_id=with_persona).turns[0].text == "Hello Ada"

    _downgrade(database, "0006")
    assert database.current_revision() == "0006" and _persona_columns_nullable(database) == [False, False]
    with database.engine.connect() as connection:
        kept = connection.execute(text("SELECT id, persona_slug, persona_version FROM conversation ORDER BY id")).all()
        turns = connection.execute(text("SELECT conversation_id, text FROM conversation_turn ORDER BY id")).all()
    assert [tuple(row) for row in kept] == [(with_persona, "ada", 1), (plain, "(no persona)", 0)]
    assert [tuple(row) for row in turns] == [(with_persona, "Hello Ada"), (plain, "Be brief.")]

    database.migrate()
    with database.session() as s:
        back = conversations.get_conversation(s, conversation_id=plain)
    assert (back.summary.persona_slug, back.summary.persona_version) == (None, None)
    assert back.summary.persona_label == conversations.NO_PERSONA_LABEL and back.turns[0].text == "Be brief."
    database.dispose()


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
