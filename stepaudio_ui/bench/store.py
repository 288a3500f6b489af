"""`stepaudio-ui bench store`: how fast the studio stays with 10,000 personas of 10 versions each.

Fills a temporary SQLite database with a bulk insert (the same tables and migrations as the app),
then times, each in a fresh session as a UI request would be: the first page of the list with the
default filters, a search, and a save (a new version with its conflict check). Prints p50 / p95 per
operation and ends with one JSON line. Targets: list and search p50 <= 50 ms, save <= 30 ms.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from stepaudio_ui.studio.specs import ExampleExchange, PersonaSpec, Traits

_FIRST = ["Ada", "Bao", "Cleo", "Dario", "Elin", "Fumi", "Gus", "Hana", "Ivo", "Juno", "Kai", "Lin", "Mara", "Nico"]
_ROLES = ["storyteller", "support agent", "tutor", "concierge", "co-pilot", "coach", "guide", "critic", "barista"]
_TAGS = ["support", "kids", "automotive", "education", "retail", "fun", "calm", "formal", "bilingual", "games"]
SEARCH_QUERIES = ["storyteller", "ada tutor", "bilingual", "co-pilot 12", "barista"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--personas", type=int, default=10_000, help="how many personas to create")
    parser.add_argument("--versions", type=int, default=10, help="versions per persona")
    parser.add_argument("--repeat", type=int, default=200, help="timed repetitions per operation")
    parser.add_argument("--keep", type=Path, default=None, help="build the database in this folder and keep it")
    parser.add_argument("--seed", type=int, default=7, help="random seed (same data every run)")


def _spec(index: int, version: int, rng: random.Random) -> PersonaSpec:
    name = f"{_FIRST[index % len(_FIRST)]} {index}"
    role = _ROLES[index % len(_ROLES)]
    return PersonaSpec(
        name=name,
        tagline=f"A {role} with opinions, revision {version}.",
        language=("en", "zh", "both")[index % 3],
        character=f"You are {name}, a {role}. " + "You help people with care and precision. " * 6,
        greeting=f"Hi, I'm {name}.",
        examples=[ExampleExchange(user="Can you help me?", assistant=f"Of course, that's what a {role} is for.")],
        traits=Traits(warmth=round(rng.random(), 2), energy=round(rng.random(), 2)),
        speaking_style="Short sentences, friendly.",
        tags=sorted(set(rng.sample(_TAGS, 3))),
    )


def fill(db: Any, *, personas: int, versions: int, seed: int) -> None:
    """Bulk insert through the core tables (no ORM objects): seconds instead of minutes."""
    from stepaudio_ui.studio.core import KINDS, spec_json
    from stepaudio_ui.studio.store import Persona, PersonaVersion

    rng = random.Random(seed)
    start = datetime.now(UTC) - timedelta(days=365)
    identity_rows: list[dict[str, Any]] = []
    version_rows: list[dict[str, Any]] = []
    models = KINDS["persona"]
    for index in range(1, personas + 1):
        slug = f"persona-{index}"
        for number in range(1, versions + 1):
            spec = _spec(index, number, rng)
            created = start + timedelta(seconds=index * 60 + number)
            version_rows.append(
                {"persona_id": index, "number": number, "spec": spec_json(spec), "author": "bench",
                 "note": f"v{number}", "created_at": created, "based_on": number - 1 or None}
            )  # fmt: skip
        identity = models.identity(slug=slug)
        identity.id = index
        identity.latest_number = versions
        identity.name, identity.summary, identity.language = spec.name, spec.tagline, spec.language
        identity.tags_text = "|" + "|".join(spec.tags) + "|"
        identity.search_text = "\n".join([spec.name, slug, spec.tagline, *spec.tags]).lower()
        identity.created_at = start + timedelta(seconds=index * 60)
        identity.updated_at = created
        identity_rows.append(identity.model_dump())
    with db.engine.begin() as connection:
        connection.execute(Persona.__table__.insert(), identity_rows)
        for chunk in range(0, len(version_rows), 10_000):
            connection.execute(PersonaVersion.__table__.insert(), version_rows[chunk : chunk + 10_000])
        connection.exec_driver_sql("ANALYZE")


def _time_ms(operation: Callable[[int], Any], repeat: int) -> list[float]:
    samples = []
    for rep in range(repeat):
        begin = time.perf_counter()
        operation(rep)
        samples.append((time.perf_counter() - begin) * 1000)
    return samples


def _p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


def run(args: argparse.Namespace, _settings: Any = None) -> int:
    from stepaudio_ui.studio import library as studio
    from stepaudio_ui.studio.store import Database

    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "bench.db"
        path.unlink(missing_ok=True)
        db = Database(f"sqlite:///{path}")
        db.migrate()
        begin = time.perf_counter()
        fill(db, personas=args.personas, versions=args.versions, seed=args.seed)
        fill_s = time.perf_counter() - begin
        sys.stdout.write(
            f"filled {args.personas:,} personas x {args.versions} versions in {fill_s:.1f} s "
            f"({path.stat().st_size / 1e6:.0f} MB)\n"
        )

        def list_first_page(_rep: int) -> None:
            with db.session() as session:
                assert studio.list_items(session, kind="persona")

        hits: dict[str, int] = {}

        def search(rep: int) -> None:
            query = SEARCH_QUERIES[rep % len(SEARCH_QUERIES)]
            with db.session() as session:
                hits[query] = len(studio.list_items(session, kind="persona", query=query))

        rng = random.Random(args.seed + 1)
        latest: dict[str, int] = {}

        def save(rep: int) -> None:
            slug = f"persona-{rng.randint(1, args.personas)}"
            base = latest.get(slug, args.versions)
            spec = _spec(int(slug.split("-")[1]), base + 1, rng)
            with db.session() as session:
                view = studio.save_version(
                    session, kind="persona", slug=slug, spec=spec, base_number=base, author="bench", note=f"save {rep}"
                )
            latest[slug] = view.number

        results: dict[str, list[float]] = {}
        for name, operation in (("list", list_first_page), ("search", search), ("save", save)):
            operation(0)  # warm the connection pool and SQLite's page cache
            results[name] = _time_ms(operation, args.repeat)
            samples = results[name]
            sys.stdout.write(
                f"{name:>6}: p50 {_p(samples, 0.5):7.2f} ms   p95 {_p(samples, 0.95):7.2f} ms   "
                f"mean {statistics.fmean(samples):7.2f} ms   ({args.repeat} runs)\n"
            )
        db.dispose()
    sys.stdout.write("search hits on the first page: " + ", ".join(f"{q!r} {n}" for q, n in hits.items()) + "\n")
    summary = {
        "personas": args.personas,
        "versions": args.personas * args.versions,
        "list_p50_ms": _p(results["list"], 0.5),
        "list_p95_ms": _p(results["list"], 0.95),
        "search_p50_ms": _p(results["search"], 0.5),
        "search_p95_ms": _p(results["search"], 0.95),
        "save_p50_ms": _p(results["save"], 0.5),
        "save_p95_ms": _p(results["save"], 0.95),
    }
    sys.stdout.write(json.dumps(summary) + "\n")
    return 0
