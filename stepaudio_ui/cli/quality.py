"""`stepaudio-ui check`: run a persona's check script, show stored runs, compare two runs.

    stepaudio-ui check nova-in-car                      # latest version, the script's scene (else the persona's
                                                        # home scene, else none), embedded engine
    stepaudio-ui check nova-in-car --version 4 --scene showroom-demo --engine embedded
    stepaudio-ui check nova-in-car --list               # stored runs, newest first
    stepaudio-ui check --show 12                        # one stored run's report
    stepaudio-ui check --compare 11 12                  # what flipped and moved from run 11 to run 12

Exit status: 0 when every check passed, 1 when a check failed (so CI can gate on it), 2 for bad
arguments or an unusable script / engine.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from stepaudio_ui.bootstrap import open_database
from stepaudio_ui.package_data import checks_dir
from stepaudio_ui.settings import Settings

EXIT_PASSED, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.prog = "stepaudio-ui check"
    parser.add_argument("slug", nargs="?", help="persona slug (its script is <seed dir>/checks/SLUG.json)")
    parser.add_argument("--version", type=int, default=None, help="persona version (default: the latest)")
    parser.add_argument(
        "--scene",
        default=None,
        help="scene-tone slug, or 'none' for no scene tone (default: the script's, else the persona's home scene)",
    )
    parser.add_argument("--scene-version", type=int, default=None, help="scene version (default: the latest)")
    parser.add_argument("--engine", default="embedded", help="engine name (default: embedded)")
    parser.add_argument("--script", type=Path, default=None, help="a check script file instead of the persona's")
    parser.add_argument(
        "--sampled",
        action="store_true",
        help="sample replies as a live conversation does (default: the engine's most likely replies, so a rerun "
        "of the same persona version replies the same)",
    )
    parser.add_argument("--list", action="store_true", help="list the persona's stored runs instead of running")
    parser.add_argument("--show", type=int, metavar="RUN", default=None, help="print a stored run's report")
    parser.add_argument("--compare", type=int, nargs=2, metavar=("RUN_A", "RUN_B"), help="compare two stored runs")


def _err(text: str) -> None:
    sys.stderr.write(f"stepaudio-ui check: {text}\n")


def _stored(args: argparse.Namespace, db) -> int:  # noqa: ANN001 - Database
    from stepaudio_ui.quality.compare import compare_runs
    from stepaudio_ui.quality.report import comparison_report, run_report
    from stepaudio_ui.quality.runs import get_run, list_runs

    with db.session() as session:
        if args.compare:
            before, after = (get_run(session, run_id) for run_id in args.compare)
            sys.stdout.write(comparison_report(compare_runs(before, after)) + "\n")
            return EXIT_PASSED
        if args.show is not None:
            run = get_run(session, args.show)
            sys.stdout.write(run_report(run) + "\n")
            return EXIT_PASSED if run.passed else EXIT_FAILED
        runs = list_runs(session, persona_slug=args.slug)
    if not runs:
        sys.stdout.write("No check runs stored yet.\n")
    for run in runs:
        verdict = "pass" if run.passed else f"FAIL {run.failed_checks}/{run.total_checks}"
        sys.stdout.write(f"{run.label}  {run.started_at:%Y-%m-%d %H:%M}  {verdict}\n")
    return EXIT_PASSED


def run(args: argparse.Namespace, settings: Settings) -> int:
    from stepaudio_ui.quality.runs import RunNotFoundError
    from stepaudio_ui.quality.script import ScriptError, load_script

    if args.compare or args.show is not None or args.list:
        try:
            return _stored(args, open_database(settings))
        except RunNotFoundError as error:
            _err(str(error))
            return EXIT_USAGE
    if not args.slug:
        _err("name the persona to check, e.g. `stepaudio-ui check nova-in-car`")
        return EXIT_USAGE
    script_path = args.script or checks_dir(settings) / f"{args.slug}.json"
    if not script_path.is_file():
        _err(f"no check script for {args.slug!r} at {script_path}; write one or pass --script FILE")
        return EXIT_USAGE
    try:
        script = load_script(script_path)
    except ScriptError as error:
        _err(str(error))
        return EXIT_USAGE
    if script.persona != args.slug:
        _err(f'{script_path} checks persona {script.persona!r}, not {args.slug!r}; fix its "persona" field')
        return EXIT_USAGE
    return asyncio.run(_run_script(args, settings, script))


async def _run_script(args: argparse.Namespace, settings: Settings, script) -> int:  # noqa: ANN001 - CheckScript
    from stepaudio_ui.engines import build_engines
    from stepaudio_ui.quality.conversation import EngineReplyError
    from stepaudio_ui.quality.embedder import SentenceEmbedder
    from stepaudio_ui.quality.report import run_report
    from stepaudio_ui.quality.runner import CheckSetupError, run_check
    from stepaudio_ui.voices.engine_clips import attach_custom_voices

    engines = build_engines(settings)
    engine = engines.get(args.engine)
    if engine is None:
        _err(f"unknown engine {args.engine!r}; choose one of: {', '.join(engines)}")
        return EXIT_USAGE
    db = open_database(settings)
    attach_custom_voices(engines, db, settings.data_dir)
    try:
        record = await run_check(
            db=db,
            engine=engine,
            script=script,
            data_dir=settings.data_dir,
            embedder=SentenceEmbedder(),
            persona_version=args.version,
            scene_slug=args.scene,
            scene_version=args.scene_version,
            sampled=args.sampled,
        )
    except (CheckSetupError, EngineReplyError) as error:
        _err(str(error))
        return EXIT_USAGE
    sys.stdout.write(run_report(record) + "\n")
    return EXIT_PASSED if record.passed else EXIT_FAILED
