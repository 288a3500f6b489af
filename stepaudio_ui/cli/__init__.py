"""The `stepaudio-ui` command (one module per noun): serve (default), personas / scenes / library import and export, db, bench.

Settings come from the environment (`STEPAUDIO_*`) like the server's; every command but `bench` and
`db` migrates the database and loads the seed library into an empty one first, exactly as the server
does, so the CLI and the app always see the same library (`db backup` copies the database as it is,
and `db current` / `db upgrade` show and run the migrations explicitly). Output for people goes to stdout; errors
to stderr with exit status 1 (2 for bad arguments).
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stepaudio_ui.cli.bench import EXTERNAL_BENCHES, add_bench_group, external_command
from stepaudio_ui.cli.db import add_db_group
from stepaudio_ui.cli.library import add_item_group, add_library_group
from stepaudio_ui.cli.output import err
from stepaudio_ui.settings import Settings

__all__ = ["EXTERNAL_BENCHES", "build_parser", "main"]


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
    add_item_group(commands, "personas")
    add_item_group(commands, "scenes")
    add_library_group(commands)
    add_db_group(commands)
    add_bench_group(commands)
    # Options parsed by the quality lab itself (it loads the voice models only when a check runs).
    commands.add_parser(
        "check", help="run a persona's check script; see `stepaudio-ui check --help`", add_help=False
    ).set_defaults(handler=external_command("check", "stepaudio_ui.cli.quality"), takes_extra_args=True)
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

    from stepaudio_ui.studio.library import StudioError
    from stepaudio_ui.studio.store import MissingDriverError

    try:
        settings = Settings(**overrides)
        return int(args.handler(args, settings))
    except ValidationError as error:
        err(f"bad setting: {error}")
        return 2
    except (StudioError, MissingDriverError) as error:
        err(str(error))
        return 1
    except OperationalError as error:
        err(f"cannot use the database ({error.orig}); check STEPAUDIO_DATABASE_URL / STEPAUDIO_DATA_DIR")
        return 1
    except KeyboardInterrupt:
        return 130
