"""`stepaudio-ui personas|scenes|library`: list, import and export the library from a shell.

Every command migrates the database and seeds an empty one first (`bootstrap.open_database`), exactly as
the app does, so the CLI and the app always see the same library.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from stepaudio_ui.bootstrap import open_database
from stepaudio_ui.cli.output import err, out
from stepaudio_ui.settings import Settings

KIND_GROUPS = {"personas": "persona", "scenes": "scene"}


def _list(args: argparse.Namespace, settings: Settings) -> int:
    from stepaudio_ui.studio import library as studio

    db = open_database(settings)
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
        out(f"no {args.group} match")
        return 0
    for item in items:
        published = f"published v{item.published_number}" if item.published_number else "unpublished"
        flags = " [archived]" if item.archived else ""
        tags = f"  #{' #'.join(item.tags)}" if item.tags else ""
        out(f"{item.slug}\t{item.name}\tv{item.latest_number} ({published}){flags}\t{item.language or '-'}{tags}")
    return 0


def _import(args: argparse.Namespace, settings: Settings) -> int:
    from stepaudio_ui.exchange import formats as io_formats

    path = Path(args.file)
    if not path.is_file():
        err(f"{path} does not exist or is not a file; give the path of an exported file")
        return 1
    db = open_database(settings)
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
    out(report.describe())
    return 0


def _export(args: argparse.Namespace, settings: Settings) -> int:
    from stepaudio_ui.exchange import formats as io_formats

    db = open_database(settings)
    with db.session() as session:
        if args.group == "library":
            content = io_formats.library_bytes(session)
        else:
            content = io_formats.export_bytes(
                session, kind=args.kind, slug=args.slug, fmt=args.format, number=args.version
            )
    target = Path(args.out)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    out(f"wrote {target} ({len(content):,} bytes)")
    return 0


def add_item_group(commands: Any, group: str) -> None:
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


def add_library_group(commands: Any) -> None:
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
