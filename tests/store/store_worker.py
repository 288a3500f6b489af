"""A separate process that writes to the store, for the fault tests (run as `python -m tests.store.store_worker`).

  save-loop URL SLUG...        save versions round-robin forever; prints "saved SLUG NUMBER TAGLINE" after
                               each commit. With --stall-before-commit it prints "committing SLUG NUMBER"
                               once the first version is written but not committed, then sleeps (to be killed).
  save-once URL SLUG AUTHOR    read the latest version, print "ready NUMBER", wait for a line on stdin, then
                               save on that base; prints "saved NUMBER" or "conflict LATEST_AUTHOR".
  migrate URL                  print "ready", wait for a line on stdin, run the migrations, print "migrated REV".

Lines go to stdout, flushed, so the parent knows exactly what was committed before it killed us.
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import time

from sqlalchemy import event
from sqlmodel import Session

from stepaudio_ui.studio import library as studio
from stepaudio_ui.studio.store import Database, PersonaVersion


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def save_loop(url: str, slugs: list[str], *, stall_before_commit: bool) -> None:
    db = Database(url)
    rng = random.Random()
    with db.session() as session:
        if stall_before_commit:

            @event.listens_for(session, "after_flush")
            def _stall(s: Session, _context: object) -> None:
                # The new version row and the identity update are in the database, not committed:
                # a kill now is a kill in the middle of saving a version.
                written = [row for row in s.new if isinstance(row, PersonaVersion)]
                if written:
                    _say(f"committing {s.info['pending'][0]} {written[0].number}")
                    time.sleep(60)

        for counter in itertools.count():
            slug = slugs[counter % len(slugs)]
            latest = studio.get_version(session, kind="persona", slug=slug)
            # Big, varied specs: a save writes several pages, so a kill can land in the middle of them.
            character = f"You are {latest.spec.name}. " + "".join(
                rng.choice("abcdefghij ") for _ in range(rng.randint(100, 5_900))
            )
            tagline = f"save {counter} of {slug}"
            spec = latest.spec.model_copy(update={"character": character, "tagline": tagline})
            session.info["pending"] = (slug, latest.number + 1)
            saved = studio.save_version(
                session, kind="persona", slug=slug, spec=spec, base_number=latest.number, author="worker"
            )
            _say(f"saved {slug} {saved.number} {tagline}")


def save_once(url: str, slug: str, author: str) -> None:
    db = Database(url)
    with db.session() as session:
        base = studio.get_version(session, kind="persona", slug=slug)
        _say(f"ready {base.number}")
        sys.stdin.readline()
        spec = base.spec.model_copy(update={"tagline": f"edited by {author}"})
        try:
            saved = studio.save_version(
                session, kind="persona", slug=slug, spec=spec, base_number=base.number, author=author
            )
        except studio.ConflictError as conflict:
            _say(f"conflict {conflict.latest.author}")
        else:
            _say(f"saved {saved.number}")
    db.dispose()


def migrate(url: str) -> None:
    db = Database(url)
    import alembic.command  # noqa: F401 - imported before "ready", so the racers start together

    _say("ready")
    sys.stdin.readline()
    db.migrate()
    _say(f"migrated {db.current_revision()}")
    db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(prog="store_worker")
    commands = parser.add_subparsers(dest="command", required=True)
    loop = commands.add_parser("save-loop")
    loop.add_argument("url")
    loop.add_argument("slugs", nargs="+")
    loop.add_argument("--stall-before-commit", action="store_true")
    once = commands.add_parser("save-once")
    once.add_argument("url")
    once.add_argument("slug")
    once.add_argument("author")
    commands.add_parser("migrate").add_argument("url")
    args = parser.parse_args()
    if args.command == "save-loop":
        save_loop(args.url, args.slugs, stall_before_commit=args.stall_before_commit)
    elif args.command == "save-once":
        save_once(args.url, args.slug, args.author)
    else:
        migrate(args.url)


if __name__ == "__main__":
    main()
