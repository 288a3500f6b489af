"""Concurrent editors: a save on a stale base is refused with what changed; two racing savers, one wins."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
import sqlalchemy.exc
from sqlmodel import Session

from stepaudio_ui.studio import library as studio
from stepaudio_ui.studio import store
from stepaudio_ui.studio.specs import Traits
from stepaudio_ui.studio.store import Database, PersonaVersion
from tests.store.examples import persona_spec


def test_stale_base_gets_a_conflict_that_shows_the_other_edit(session: Session) -> None:
    studio.create_item(session, kind="persona", spec=persona_spec(), author="kim")
    studio.save_version(
        session, kind="persona", slug="ada", spec=persona_spec(tagline="Bold.", traits=Traits(warmth=0.2)),
        base_number=1, author="lee",
    )  # fmt: skip
    with pytest.raises(studio.ConflictError) as caught:
        studio.save_version(
            session, kind="persona", slug="ada", spec=persona_spec(greeting="Yo"), base_number=1, author="kim"
        )
    conflict = caught.value
    assert str(conflict) == (
        "version 2 by lee was saved after your base version 1; it changed: tagline, traits.warmth. "
        "Reload, merge your edits and save again."
    )
    assert conflict.latest.number == 2 and conflict.latest.author == "lee"
    assert [c.path for c in conflict.changes] == ["tagline", "traits.warmth"]
    assert len(studio.list_versions(session, kind="persona", slug="ada")) == 2  # nothing saved


def test_two_concurrent_savers_on_the_same_base_exactly_one_wins(db: Database) -> None:
    with db.session() as s:
        studio.create_item(s, kind="persona", spec=persona_spec(), author="kim")
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def saver(author: str) -> None:
        with db.session() as s:
            base = studio.get_version(s, kind="persona", slug="ada")  # both read v1, holding a read snapshot
            barrier.wait()
            try:
                outcomes[author] = studio.save_version(
                    s, kind="persona", slug="ada", spec=persona_spec(tagline=f"by {author}"),
                    base_number=base.number, author=author,
                )  # fmt: skip
            except studio.StudioError as error:
                outcomes[author] = error

    threads = [threading.Thread(target=saver, args=(name,)) for name in ("kim", "lee")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    kinds = sorted(type(outcome).__name__ for outcome in outcomes.values())
    assert kinds == ["ConflictError", "VersionView"], outcomes
    with db.session() as s:
        assert [v.number for v in studio.list_versions(s, kind="persona", slug="ada")] == [2, 1]


def test_a_write_after_reads_of_an_old_snapshot_is_not_a_conflict(db: Database) -> None:
    """A reader that saw the database before someone else's unrelated write can still save."""
    with db.session() as s:
        studio.create_item(s, kind="persona", spec=persona_spec(), author="kim")
        studio.create_item(s, kind="persona", spec=persona_spec("Bob"), author="kim")
    with db.session() as reader, db.session() as other:
        studio.get_version(reader, kind="persona", slug="ada")  # opens a read transaction
        studio.save_version(
            other, kind="persona", slug="bob", spec=persona_spec("Bob", tagline="x"), base_number=1, author="lee"
        )
        saved = studio.save_version(
            reader, kind="persona", slug="ada", spec=persona_spec(tagline="y"), base_number=1, author="kim"
        )
        assert saved.number == 2


def test_version_numbers_are_unique_in_the_database(db: Database) -> None:
    with db.session() as s:
        studio.create_item(s, kind="persona", spec=persona_spec(), author="kim")
        s.add(PersonaVersion(persona_id=1, number=1, spec="{}", author="x"))
        with pytest.raises(sqlalchemy.exc.IntegrityError):
            s.commit()


def test_a_stuck_writer_makes_the_next_one_fail_after_the_busy_timeout_not_hang(
    make_db_url: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both backends wait for the write lock as long as SQLite's busy timeout, then give up; nothing is written."""
    monkeypatch.setattr(store, "SQLITE_BUSY_TIMEOUT_S", 0.5)
    database = Database(make_db_url(migrated=True))
    with database.session() as s:
        studio.create_item(s, kind="persona", spec=persona_spec(), author="kim")
    with database.session() as stuck, database.session() as waiting:
        with store.write_transaction(stuck):
            studio.find_identity(stuck, studio.kind_models("persona"), "ada")  # holds the lock, never finishes
            started = time.perf_counter()
            with pytest.raises(sqlalchemy.exc.OperationalError, match="database is locked|lock timeout"):
                studio.save_version(
                    waiting, kind="persona", slug="ada", spec=persona_spec(tagline="x"), base_number=1, author="lee"
                )
            assert time.perf_counter() - started < 10
    with database.session() as s:
        assert [v.number for v in studio.list_versions(s, kind="persona", slug="ada")] == [1]
    database.dispose()
