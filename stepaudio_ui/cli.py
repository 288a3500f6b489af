"""The `stepaudio-ui` command: serve (default), personas / scenes / library import and export, db, bench.

Settings come from the environment (`STEPAUDIO_*`) like the server's; every command but `bench` and
`db` migrates the database and loads the seed library into an empty one first, exactly as the server
does, so the CLI and the app always see the same library (`db backup` copies the database as it is,
and `db current` / `db upgrade` show and run the migrations explicitly). Output for people goes to stdout; errors
to stderr with exit status 1 (2 for bad arguments).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stepaudio_ui.settings import Settings

logger = logging.getLogger(__name__)

EXTERNAL_BENCHES = {
    "engine": "stepaudio_ui.bench.engine",
    "live": "stepaudio_ui.bench.live",
    "soak": "stepaudio_ui.bench.soak",
    "realtime": "stepaudio_ui.bench.realtime",
    "flood": "stepaudio_ui.bench.flood",
    "brain": "stepaudio_ui.bench.brain",
    "load": "stepaudio_ui.bench.load",
}
KIND_GROUPS = {"personas": "persona", "scenes": "scene"}


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def _err(text: str) -> None:
    sys.stderr.write(f"stepaudio-ui: {text}\n")


def _open_database(settings: Settings) -> Any:
    """Migrate and seed like the server does (without importing the web stack, which takes seconds)."""
    from stepaudio_ui import studio
    from stepaudio_ui.package_data import seed_dir as seed_dir_of
    from stepaudio_ui.store import Database

    db = Database.from_settings(settings)
    db.migrate()
    seed_dir = seed_dir_of(settings)
    if seed_dir.is_dir():
        with db.session() as session:
            studio.seed_if_empty(session, seed_dir)
    return db


# --------------------------------------------------------------------------- personas / scenes / library


def _list(args: argparse.Namespace, settings: Settings) -> int:
    from stepaudio_ui import studio

    db = _open_database(settings)
    with db.session() as session:
        items = studio.list_items(
            session,
            kind=args.kind,
            query=args.query,
            tag=args.tag,
            language=args.language,
            include_archived=args.archived,
            limit=args.limit,
        )
    if not items:
        _out(f"no {args.group} match")
        return 0
    for item in items:
        published = f"published v{item.published_number}" if item.published_number else "unpublished"
        flags = " [archived]" if item.archived else ""
        tags = f"  #{' #'.join(item.tags)}" if item.tags else ""
        _out(f"{item.slug}\t{item.name}\tv{item.latest_number} ({published}){flags}\t{item.language or '-'}{tags}")
    return 0


def _import(args: argparse.Namespace, settings: Settings) -> int:
    from stepaudio_ui import io_formats

    path = Path(args.file)
    if not path.is_file():
        _err(f"{path} does not exist or is not a file; give the path of an exported file")
        return 1
    db = _open_database(settings)
    expect = "library" if args.group == "library" else KIND_GROUPS[args.group]
    io_formats.check_import_size(path.stat().st_size, settings.max_import_bytes, path.name)  # before reading it
    with db.session() as session:
        report = io_formats.import_bytes(
            session,
            path.read_bytes(),
            author=args.author or settings.author,
            max_bytes=settings.max_import_bytes,
            expect=expect,
            source_name=path.name,
        )
    _out(report.describe())
    return 0


def _export(args: argparse.Namespace, settings: Settings) -> int:
    from stepaudio_ui import io_formats

    db = _open_database(settings)
    with db.session() as session:
        if args.group == "library":
            content = io_formats.library_bytes(session)
        else:
            content = io_formats.export_bytes(
                session, kind=args.kind, slug=args.slug, fmt=args.format, number=args.version
            )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(content)
    _out(f"wrote {out} ({len(content):,} bytes)")
    return 0


def _add_item_group(commands: Any, group: str) -> None:
    label = "personas" if group == "personas" else "scene tones"
    parser = commands.add_parser(group, help=f"list, import and export {label}")
    parser.set_defaults(group=group, kind=KIND_GROUPS[group])
    actions = parser.add_subparsers(dest="action", required=True, metavar="{list,import,export}")
    listing = actions.add_parser("list", help=f"list {label}, most recently changed first")
    listing.add_argument("--query", default="", help="words that must all appear in name, slug, summary or tags")
    listing.add_argument("--tag", default=None, help="only items with this tag")
    listing.add_argument("--language", default=None, choices=["en", "zh", "both"], help="only this language")
    listing.add_argument("--archived", action="store_true", help="include archived items")
    listing.add_argument("--limit", type=int, default=50, help="how many to show (1-500)")
    listing.set_defaults(handler=_list)
    importing = actions.add_parser("import", help="import a studio export or a Character Card (JSON or PNG)")
    importing.add_argument("file")
    importing.add_argument("--author", default=None, help="author of versions added on top (default: settings)")
    importing.set_defaults(handler=_import)
    exporting = actions.add_parser("export", help="export one item to a file")
    exporting.add_argument("slug")
    exporting.add_argument("--out", required=True, help="file to write")
    formats = ["stepaudio", "chara-json", "chara-png"] if group == "personas" else ["stepaudio"]
    exporting.add_argument("--format", default="stepaudio", choices=formats, help="file format (default stepaudio)")
    exporting.add_argument("--version", type=int, default=None, help="for cards: which version (default latest)")
    exporting.set_defaults(handler=_export)


def _add_library_group(commands: Any) -> None:
    parser = commands.add_parser("library", help="export or import every persona and scene tone at once")
    parser.set_defaults(group="library", kind=None)
    actions = parser.add_subparsers(dest="action", required=True, metavar="{export,import}")
    exporting = actions.add_parser("export", help="write the whole library, all versions, to one JSON file")
    exporting.add_argument("--out", required=True)
    exporting.set_defaults(handler=_export)
    importing = actions.add_parser("import", help="import a library file (all or nothing)")
    importing.add_argument("file")
    importing.add_argument("--author", default=None)
    importing.set_defaults(handler=_import)


# --------------------------------------------------------------------------- db


def _db_backup(args: argparse.Namespace, settings: Settings) -> int:
    from stepaudio_ui.backup import backup_database

    report = backup_database(settings.resolved_database_url(), Path(args.out), overwrite=args.force)
    _out(report.describe())
    return 0


def _db_current(_args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy import make_url

    from stepaudio_ui.store import Database, head_revision

    url = settings.resolved_database_url()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and not Path(parsed.database).is_file():
        _out(f"no database at {parsed.database} yet; starting the app or `stepaudio-ui db upgrade` creates it")
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
    _out(f"{db.display_url}: revision {current or 'none (empty database)'}; {state}")
    return 0


def _db_upgrade(_args: argparse.Namespace, settings: Settings) -> int:
    from stepaudio_ui.store import Database

    db = Database.from_settings(settings)
    try:
        before = db.current_revision()
        db.migrate()
        after = db.current_revision()
    finally:
        db.dispose()
    _out(
        f"{db.display_url}: revision {before or 'none'} -> {after}"
        if before != after
        else f"{db.display_url}: already at {after}"
    )
    return 0


def _add_db_group(commands: Any) -> None:
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


# --------------------------------------------------------------------------- bench and serve


def _add_bench_group(commands: Any) -> None:
    parser = commands.add_parser("bench", help="measure the store, the voice engine or a live session")
    targets = parser.add_subparsers(
        dest="target", required=True, metavar="{store,engine,live,soak,realtime,flood,brain}"
    )
    from stepaudio_ui.bench import store as bench_store

    store_parser = targets.add_parser("store", help="10,000 personas x 10 versions: list, search and save times")
    bench_store.add_arguments(store_parser)
    store_parser.set_defaults(handler=bench_store.run)
    for name, module_name in EXTERNAL_BENCHES.items():
        # Their options are parsed by the module itself, imported only when that bench runs
        # (engine benches load models; `personas list` must not pay for that).
        sub = targets.add_parser(name, help=f"see `stepaudio-ui bench {name} --help`", add_help=False)
        sub.set_defaults(handler=_external_bench(name, module_name), takes_extra_args=True)


def _external_bench(name: str, module_name: str) -> Any:
    def handler(args: argparse.Namespace, settings: Settings) -> int:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise
            _err(f"`bench {name}` is not available in this build: module {module_name} is missing")
            return 1
        parser = argparse.ArgumentParser(prog=f"stepaudio-ui bench {name}")
        module.add_arguments(parser)
        return int(module.run(parser.parse_args(args.extra_args), settings))

    return handler


def _serve(_args: argparse.Namespace, settings: Settings) -> int:
    from stepaudio_ui.server import serve

    serve(settings)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stepaudio-ui", description="StepAudio Persona Studio: serve the app, manage the library, benchmark."
    )
    parser.add_argument("--data-dir", type=Path, default=None, help="data directory (default: STEPAUDIO_DATA_DIR)")
    parser.add_argument("--verbose", action="store_true", help="log at INFO level")
    parser.set_defaults(handler=_serve)
    commands = parser.add_subparsers(dest="command", metavar="{serve,personas,scenes,library,db,bench,check}")
    commands.add_parser("serve", help="serve the studio (the default)").set_defaults(handler=_serve)
    _add_item_group(commands, "personas")
    _add_item_group(commands, "scenes")
    _add_library_group(commands)
    _add_db_group(commands)
    _add_bench_group(commands)
    # Options parsed by the quality lab itself (it loads the voice models only when a check runs).
    commands.add_parser(
        "check", help="run a persona's check script; see `stepaudio-ui check --help`", add_help=False
    ).set_defaults(handler=_external_bench("check", "stepaudio_ui.quality.cli"), takes_extra_args=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "takes_extra_args", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra_args = extra
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    overrides: dict[str, Any] = {"data_dir": args.data_dir} if args.data_dir else {}
    from pydantic import ValidationError
    from sqlalchemy.exc import OperationalError

    from stepaudio_ui.store import MissingDriverError
    from stepaudio_ui.studio import StudioError

    try:
        settings = Settings(**overrides)
        return int(args.handler(args, settings))
    except ValidationError as error:
        _err(f"bad setting: {error}")
        return 2
    except (StudioError, MissingDriverError) as error:
        _err(str(error))
        return 1
    except OperationalError as error:
        _err(f"cannot use the database ({error.orig}); check STEPAUDIO_DATABASE_URL / STEPAUDIO_DATA_DIR")
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
