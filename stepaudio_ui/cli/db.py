"""`stepaudio-ui db`: back up the database, show its schema revision, run the migrations.

These commands look at the database as it is: they neither seed it nor (but `upgrade`) migrate it.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from stepaudio_ui.cli.output import out
from stepaudio_ui.settings import Settings


def _db_backup(args: argparse.Namespace, settings: Settings) -> int:
    from stepaudio_ui.studio.backup import backup_database

    report = backup_database(settings.resolved_database_url(), Path(args.out), overwrite=args.force)
    out(report.describe())
    return 0


def _db_current(_args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy import make_url

    from stepaudio_ui.studio.store import Database, head_revision

    url = settings.resolved_database_url()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and not Path(parsed.database).is_file():
        out(f"no database at {parsed.database} yet; starting the app or `stepaudio-ui db upgrade` creates it")
        return 0
    db = Database(url)
    try:
        current, head = db.current_revision(), head_revision()
    finally:
        db.dispose()
    state = (
        "up to date"
        if current == head
        else f"behind: `stepaudio-ui db upgrade` (or starting the app) upgrades it to {head}"
    )
    out(f"{db.display_url}: revision {current or 'none (empty database)'}; {state}")
    return 0


def _db_upgrade(_args: argparse.Namespace, settings: Settings) -> int:
    from stepaudio_ui.studio.store import Database

    db = Database.from_settings(settings)
    try:
        before = db.current_revision()
        db.migrate()
        after = db.current_revision()
    finally:
        db.dispose()
    out(
        f"{db.display_url}: revision {before or 'none'} -> {after}"
        if before != after
        else f"{db.display_url}: already at {after}"
    )
    return 0


def add_db_group(commands: Any) -> None:
    parser = commands.add_parser("db", help="back up the database, show or upgrade its schema")
    actions = parser.add_subparsers(dest="action", required=True, metavar="{backup,current,upgrade}")
    backup = actions.add_parser("backup", help="a consistent copy of the SQLite database, safe while the app runs")
    backup.add_argument("--out", required=True, help="file to write the copy to")
    backup.add_argument("--force", action="store_true", help="replace --out if it exists")
    backup.set_defaults(handler=_db_backup)
    actions.add_parser("current", help="the schema revision of the database").set_defaults(handler=_db_current)
    actions.add_parser("upgrade", help="run the migrations (the app also does on start)").set_defaults(
        handler=_db_upgrade
    )
