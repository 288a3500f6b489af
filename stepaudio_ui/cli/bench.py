"""`stepaudio-ui bench ...`: the benches, each a module imported only when it runs (they load models).

`external_command` also serves `stepaudio-ui check`: a command whose options its own module parses.
"""

from __future__ import annotations

import argparse
import importlib
from typing import Any

from stepaudio_ui.cli.output import err
from stepaudio_ui.settings import Settings

EXTERNAL_BENCHES = {
    "engine": "stepaudio_ui.bench.engine",
    "live": "stepaudio_ui.bench.live",
    "soak": "stepaudio_ui.bench.soak",
    "realtime": "stepaudio_ui.bench.realtime",
    "flood": "stepaudio_ui.bench.flood",
    "brain": "stepaudio_ui.bench.brain",
    "load": "stepaudio_ui.bench.load",
}


def add_bench_group(commands: Any) -> None:
    parser = commands.add_parser("bench", help="measure the store, the voice engine or a live session")
    targets = parser.add_subparsers(dest="target", required=True, metavar="{store," + ",".join(EXTERNAL_BENCHES) + "}")
    from stepaudio_ui.bench import store as bench_store

    store_parser = targets.add_parser("store", help="10,000 personas x 10 versions: list, search and save times")
    bench_store.add_arguments(store_parser)
    store_parser.set_defaults(handler=bench_store.run)
    for name, module_name in EXTERNAL_BENCHES.items():
        # Their options are parsed by the module itself, imported only when that bench runs
        # (engine benches load models; `personas list` must not pay for that).
        sub = targets.add_parser(name, help=f"see `stepaudio-ui bench {name} --help`", add_help=False)
        sub.set_defaults(handler=external_command(name, module_name), takes_extra_args=True)


def external_command(name: str, module_name: str) -> Any:
    def handler(args: argparse.Namespace, settings: Settings) -> int:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise
            err(f"`bench {name}` is not available in this build: module {module_name} is missing")
            return 1
        parser = argparse.ArgumentParser(prog=f"stepaudio-ui bench {name}")
        module.add_arguments(parser)
        return int(module.run(parser.parse_args(args.extra_args), settings))

    return handler
