"""Faults with real processes: a saver killed with SIGKILL (at random moments, and exactly between writing a
version and committing it), and two editor processes saving on the same base. On SQLite and PostgreSQL."""

from __future__ import annotations

import random
import time
from pathlib import Path

from stepaudio_ui.studio import library as studio
from stepaudio_ui.studio.store import Database
from tests.store.examples import persona_spec
from tests.store.processes import SLUGS, Worker, acknowledged_saves, assert_consistent, create_personas

KILL_ROUNDS = 3


def test_a_saver_killed_at_random_moments_leaves_the_store_consistent(db: Database, tmp_path: Path) -> None:
    create_personas(db)
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    acknowledged: dict[tuple[str, int], str] = {}
    totals = [assert_consistent(db, acknowledged)]
    for round_number in range(KILL_ROUNDS):
        worker = Worker("save-loop", db.url, *SLUGS, log=tmp_path / f"worker-{round_number}.log")
        worker.expect("saved")  # past start-up, inside the save loop
        time.sleep(rng.uniform(0.0, 0.3))
        worker.kill()
        acknowledged.update(acknowledged_saves(worker.seen))
        totals.append(assert_consistent(db, acknowledged))
    assert totals == sorted(totals) and totals[-1] >= totals[0] + KILL_ROUNDS, f"seed {seed}: {totals}"


def test_a_saver_killed_between_writing_a_version_and_committing_leaves_no_trace(db: Database, tmp_path: Path) -> None:
    create_personas(db)
    worker = Worker("save-loop", db.url, "ada", "--stall-before-commit", log=tmp_path / "worker.log")
    assert worker.expect("committing") == "committing ada 2"
    with db.session() as s:  # readers are not blocked by the unfinished write, and do not see it
        assert studio.get_version(s, kind="persona", slug="ada").number == 1
    worker.kill()
    assert assert_consistent(db, {}) == len(SLUGS)
    with db.session() as s:  # the dead writer's lock died with it: the next save goes through
        saved = studio.save_version(
            s, kind="persona", slug="ada", spec=persona_spec("Ada", tagline="after"), base_number=1, author="kim"
        )
        assert saved.number == 2


def test_two_editor_processes_on_the_same_base_one_saves_one_conflicts(db: Database, tmp_path: Path) -> None:
    create_personas(db)
    editors = {name: Worker("save-once", db.url, "ada", name, log=tmp_path / f"{name}.log") for name in ("kim", "lee")}
    for editor in editors.values():
        assert editor.expect("ready") == "ready 1"  # both hold version 1 as their base
    for editor in editors.values():
        editor.send("go")
    outcomes = {name: editor.expect("") for name, editor in editors.items()}
    for editor in editors.values():
        editor.finish()
    winner = next(name for name, outcome in outcomes.items() if outcome == "saved 2")
    loser = next(name for name in outcomes if name != winner)
    assert outcomes[loser] == f"conflict {winner}", outcomes
    with db.session() as s:
        versions = studio.list_versions(s, kind="persona", slug="ada")
        assert [(v.number, v.author, v.spec.tagline) for v in versions] == [
            (2, winner, f"edited by {winner}"),
            (1, "kim", "A calm helper."),
        ]
        # Nothing lost: the loser still has their edit, merges onto the winner's version, and saves it.
        merged = studio.save_version(
            s, kind="persona", slug="ada", spec=persona_spec("Ada", tagline=f"edited by {winner} and {loser}"),
            base_number=2, author=loser,
        )  # fmt: skip
        assert merged.number == 3
