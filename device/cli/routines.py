"""Sub-commands that need no hardware: check, list, show, demo."""

from __future__ import annotations

import argparse
import logging
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from device.audio.layers import configured_speech
from device.audio.speech import espeak_problem
from device.cli.checks import SERVICE_USER, Reader, missing_sounds, unreadable
from device.config.loading import load_checked, load_forgiving
from device.config.paths import find_config, routines_folder
from device.config.schema import Config
from device.core.audible import Fate, Heard, audible
from device.core.catalog import Catalog, load_catalog
from device.core.durations import format_clock, format_moment, format_short
from device.core.routine import Routine
from device.core.timeline import StepPlan, estimated_length, plan
from device.exc import InvalidFileError, Problem, UnknownRoutineError

log = logging.getLogger(__name__)


def register(commands: argparse._SubParsersAction) -> None:
    check = commands.add_parser("check", help="validate routine files, folders and the config")
    check.add_argument("paths", nargs="*", metavar="PATH", help="files or folders (default: all)")
    check.add_argument(
        "--strict", action="store_true", help="exit 1 when a cue will not be heard as written"
    )
    check.add_argument(
        "--user",
        metavar="NAME",
        help=f"who must be able to read the files (default: {SERVICE_USER})",
    )
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
    return load_catalog([routines_folder(args.routines, config.routines.folder)])


def run_check(args: argparse.Namespace) -> int:
    problems, notes = [], []
    config_path = find_config(args.config)
    config_files = [Path(p) for p in args.paths if Path(p).name == "config.toml"]
    config_files = config_files or ([config_path] if config_path and not args.paths else [])
    for path in config_files:
        try:
            load_checked(path)
            notes.append(f"{path}: ok")
        except InvalidFileError as error:
            problems += error.problems
    paths = [Path(p) for p in args.paths if Path(p).name != "config.toml"]
    if not args.paths:
        paths = [routines_folder(args.routines, _folder_setting(config_path))]
        print(f"checking {config_path or 'the built-in config'} and {paths[0]}", file=sys.stderr)
    catalog = load_catalog(paths)
    config = load_forgiving(config_path)[0]
    problems += catalog.problems + missing_sounds(catalog, config.audio.sounds)
    reader = Reader.named(args.user) if args.user else Reader.service()
    problems += unreadable([*config_files, *paths], reader)
    length = speech_lengths(config)
    warnings = [w for name in catalog.names for w in unheard(catalog.routines[name], length)]
    for line in problems + warnings:
        print(line)
    if speech := espeak_problem():  # routines still run without it, on chimes alone
        print(f"note: {speech}", file=sys.stderr)
    count = f"{len(catalog.routines)} routines, {len(catalog.programs)} programs"
    found = [_counted(len(problems), "problem"), _counted(len(warnings), "warning")]
    verdict = ", ".join(f for f in found if f) or "all good"
    print(f"checked {count}: {verdict}", file=sys.stderr)
    return 1 if problems or (warnings and args.strict) else 0


def _counted(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' * (number != 1)}" if number else ""


def speech_lengths(config: Config) -> Callable[[str], float]:
    """Each phrase's rendered length where the speech cache has it (only read, never
    written), else an estimate from its words at the configured rate."""
    cache, estimate = configured_speech(config), estimated_length(config.voice.rate)

    def length(text: str) -> float:
        rendered = cache.length(text)
        return estimate(text) if rendered is None else rendered

    return length


def unheard(routine: Routine, length: Callable[[str], float]) -> list[Problem]:
    """A warning for each cue of ``routine`` that will not be heard as written."""
    timeline = plan(routine, length)
    warnings = []
    for heard in audible(timeline, length).lost:
        where = _step_label(routine, heard.step)
        due = f"{heard.describe()} at {format_moment(heard.due)}"
        message = f"{due} will not be heard: {heard.why}"
        warnings.append(Problem(routine.path, heard.line, where, message))
    return warnings


def _step_label(routine: Routine, index: int) -> str:
    if index < 0:
        return ""
    return f'step {index + 1} ("{routine.steps[index].name}")'


def _folder_setting(config_path: Path | None) -> str:
    """The configured folder; a broken config is reported separately, so no need here."""
    return load_forgiving(config_path)[0].routines.folder


def run_list(args: argparse.Namespace) -> int:
    config = configured(args)
    catalog = catalog_of(args, config)
    length = speech_lengths(config)
    for problem in catalog.problems:
        print(problem, file=sys.stderr)
    width = max((len(name) for name in catalog.names), default=4)
    for name in catalog.names:
        routine = catalog.routines[name]
        waits = sum(step.wait for step in routine.steps)
        extra = f" ({waits} untimed)" if waits else ""
        steps = f"{len(routine.steps)} steps{extra}"
        total = format_clock(plan(routine, length).total)  # instructions included
        print(f"{name:<{width}}  {total:>6}  {steps:<18}  {routine.title}")
    for name, program in sorted(catalog.programs.items()):
        print(f"{name:<{width}}  {program.weeks:>3} wk  program             {program.title}")
    return 1 if catalog.problems and not catalog.routines else 0


def run_show(args: argparse.Namespace) -> int:
    config = configured(args)
    catalog = catalog_of(args, config)
    if args.name not in catalog.routines:
        raise UnknownRoutineError(args.name, catalog.names)
    length = speech_lengths(config)
    timeline = plan(catalog.routines[args.name], length)
    heard = audible(timeline, length)
    routine = timeline.routine
    print(f"{routine.title} ({routine.name}) · {format_clock(heard.end)} · {routine.path}")
    said = defaultdict(list)
    for phrase in heard.phrases:
        said[phrase.step].append(phrase)
    _print_phrases(said[-1][:1])
    for step_plan in timeline.steps:
        print(_step_header(step_plan))
        start = heard.step_starts.get(step_plan.index, 0.0)
        sounds = [(start + c.at, c) for c in step_plan.cues if c.kind == "sound"]
        _print_phrases(said[step_plan.index], sounds)
    print(f"  {format_clock(heard.end, 1):<15} sound        bell")
    _print_phrases(said[-1][1:])
    if heard.lost:
        print(f"{len(heard.lost)} cues will not be heard as written (marked <<)")
    return 0


def _step_header(step_plan: StepPlan) -> str:
    step = step_plan.step
    how = "waits for PLAY" if step.wait else format_short(step.duration)
    sides = " · sides" if step.sides else ""
    reps = f" · {step.reps} reps" if step.reps else ""
    where = f"{step.area}, {step.stroke}"
    return f"step {step_plan.index + 1}: {step.name} ({how}{sides}{reps} · {where})"


def _print_phrases(phrases: list[Heard], sounds: list | None = None) -> None:
    """Sounds and phrases in time order: a phrase with its start and end, marked if lost."""
    lines = [
        (at, 0, f"  {format_clock(at, 1):<15} sound        {cue.content}")
        for at, cue in sounds or []
    ]
    for phrase in phrases:
        at = phrase.start if phrase.start is not None else phrase.due
        span = format_clock(at, 1)
        if phrase.end is not None:
            span += f"-{format_clock(phrase.end, 1)}"
        mark = f"  << {phrase.fate.value}: {phrase.why}" if phrase.fate is not Fate.HEARD else ""
        lines.append((at, 1, f"  {span:<15} {phrase.role:<11}  {phrase.text}{mark}"))
    for _, _, line in sorted(lines, key=lambda item: item[:2]):
        print(line)
