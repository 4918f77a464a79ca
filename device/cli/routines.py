"""Sub-commands that need no hardware: check, list, show, demo."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from device.audio.speech import espeak_problem
from device.config.paths import routines_folder
from device.config.schema import Config, find_config, load_checked, load_forgiving
from device.core.catalog import Catalog, load_catalog
from device.core.durations import format_clock, format_short
from device.core.timeline import plan
from device.exc import InvalidFileError, UnknownRoutineError

log = logging.getLogger(__name__)


def register(commands: argparse._SubParsersAction) -> None:
    check = commands.add_parser("check", help="validate routine files, folders and the config")
    check.add_argument("paths", nargs="*", metavar="PATH", help="files or folders (default: all)")
    check.set_defaults(run=run_check)
    listing = commands.add_parser("list", help="list routines with their length and steps")
    listing.set_defaults(run=run_list)
    show = commands.add_parser("show", help="print a routine's full timeline")
    show.add_argument("name", help="routine name (file name without .toml)")
    show.set_defaults(run=run_show)


def configured(args: argparse.Namespace) -> Config:
    """The config named by --config or found in the usual places.

    Forgiving: a problem is logged and its key keeps the default, so one typo
    never stops the appliance (``check`` reads it strictly and exits 1).
    """
    config, problems = load_forgiving(find_config(args.config))
    for problem in problems:
        log.warning("%s (using the default instead)", problem)
    return config


def catalog_of(args: argparse.Namespace, config: Config | None = None) -> Catalog:
    config = config if config is not None else configured(args)
    return load_catalog([routines_folder(args.routines, config["routines"]["folder"])])


def run_check(args: argparse.Namespace) -> int:
    problems, notes = [], []
    config_path = find_config(args.config)
    config_files = [Path(p) for p in args.paths if Path(p).name == "config.toml"]
    for path in config_files or ([config_path] if config_path and not args.paths else []):
        try:
            load_checked(path)
            notes.append(f"{path}: ok")
        except InvalidFileError as error:
            problems += error.problems
    paths = [Path(p) for p in args.paths if Path(p).name != "config.toml"]
    if not args.paths:
        paths = [routines_folder(args.routines, _folder_setting(config_path))]
    catalog = load_catalog(paths)
    problems += catalog.problems
    for line in problems:
        print(line)
    if speech := espeak_problem():  # routines still run without it, on chimes alone
        print(f"note: {speech}", file=sys.stderr)
    count = f"{len(catalog.routines)} routines, {len(catalog.programs)} programs"
    verdict = f"{len(problems)} problem{'s' * (len(problems) != 1)}" if problems else "all good"
    print(f"checked {count}: {verdict}", file=sys.stderr)
    return 1 if problems else 0


def _folder_setting(config_path: Path | None) -> str:
    """The configured folder; a broken config is reported separately, so no need here."""
    return load_forgiving(config_path)[0]["routines"]["folder"]


def run_list(args: argparse.Namespace) -> int:
    catalog = catalog_of(args)
    for problem in catalog.problems:
        print(problem, file=sys.stderr)
    width = max((len(name) for name in catalog.names), default=4)
    for name in catalog.names:
        routine = catalog.routines[name]
        waits = sum(step.wait for step in routine.steps)
        extra = f" ({waits} untimed)" if waits else ""
        steps = f"{len(routine.steps)} steps{extra}"
        print(f"{name:<{width}}  {format_clock(routine.duration):>6}  {steps:<18}  {routine.title}")
    for name, program in sorted(catalog.programs.items()):
        print(f"{name:<{width}}  {program.weeks:>3} wk  program             {program.title}")
    return 1 if catalog.problems and not catalog.routines else 0


def run_show(args: argparse.Namespace) -> int:
    catalog = catalog_of(args)
    if args.name not in catalog.routines:
        raise UnknownRoutineError(args.name, catalog.names)
    timeline = plan(catalog.routines[args.name])
    routine = timeline.routine
    print(f"{routine.title} ({routine.name}) · {format_clock(routine.duration)} · {routine.path}")
    for cue in timeline.intro:
        print(f"  0:00.0  {cue.kind:<5}  {cue.content}")
    for step_plan in timeline.steps:
        step = step_plan.step
        how = "waits for PLAY" if step.wait else format_short(step.duration)
        sides = " · sides" if step.sides else ""
        reps = f" · {step.reps} reps" if step.reps else ""
        where = f"{step.area}, {step.stroke}"
        print(f"step {step_plan.index + 1}: {step.name} ({how}{sides}{reps} · {where})")
        for cue in step_plan.cues:
            print(f"  {_offset(step_plan.start + cue.at)}  {cue.kind:<5}  {cue.content}")
    for cue in timeline.finish:
        print(f"  {_offset(timeline.total)}  {cue.kind:<5}  {cue.content}")
    return 0


def _offset(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}:{rest:04.1f}"
