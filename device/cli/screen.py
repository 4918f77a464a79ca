"""``massage-timer screenshot``: any moment of any routine, or the idle view, as a PNG."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys

from device.cli.routines import catalog_of, configured
from device.core.progress import Enrolment, Practice, program_line, progress
from device.core.timeline import estimated_length, plan
from device.core.view import IdleView, RoutineView
from device.exc import MassageTimerError, UnknownRoutineError

STATES = ("running", "paused", "waiting", "ready", "done")


def register(commands: argparse._SubParsersAction) -> None:
    shot = commands.add_parser("screenshot", help="render a screen to PNG, no display needed")
    shot.add_argument("out", metavar="OUT.png", help="where to write the image")
    shot.add_argument("--routine", metavar="NAME", help="routine (default: the selected one)")
    shot.add_argument("--step", type=int, default=1, metavar="N", help="step, from 1 (default 1)")
    shot.add_argument(
        "--at", type=float, default=0.0, metavar="SECONDS", help="seconds into the step"
    )
    shot.add_argument(
        "--size", default="800x480", metavar="WxH", help="image size (default 800x480)"
    )
    shot.add_argument(
        "--state", choices=STATES, help="default: waiting for wait steps, else running"
    )
    shot.add_argument("--idle", action="store_true", help="the idle view, awake")
    shot.add_argument("--program", metavar="NAME", help="idle: show this program's status")
    shot.add_argument("--day", type=int, default=1, metavar="N", help="idle: day N of the program")
    shot.add_argument(
        "--warnings", type=int, default=0, metavar="N", help="idle: files with errors"
    )
    shot.set_defaults(run=run_screenshot)


def run_screenshot(args: argparse.Namespace) -> int:
    size = _size(args.size)
    config = configured(args)
    catalog = catalog_of(args, config)
    name = args.routine or config.routines.selected
    if name not in catalog.routines:
        raise UnknownRoutineError(name, catalog.names)
    routine = catalog.routines[name]
    if args.idle:
        line, title, length = _program_line(catalog, args.program, args.day)
        view: IdleView | RoutineView = IdleView(
            awake=True,
            routine_title=title or routine.title,  # PLAY starts today's session, if any
            routine_length=length or routine.duration,
            program=line,
            warnings=args.warnings,
        )
    else:
        view = _routine_view(routine, args.step, args.at, args.state)
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame  # only when a picture is wanted: other commands start faster without it

    from device.display.screen import render

    pygame.image.save(render(view, size, config.display.mirror_face), args.out)
    print(f"wrote {args.out} ({size[0]}x{size[1]})", file=sys.stderr)
    return 0


def _routine_view(routine, number: int, at: float, state: str | None) -> RoutineView:
    timeline = plan(routine)
    if not 1 <= number <= len(timeline.steps):
        raise MassageTimerError(f"--step must be 1 to {len(timeline.steps)}, not {number}")
    step = timeline.steps[number - 1].step
    if not 0 <= at <= step.duration:
        raise MassageTimerError(f"--at must be 0 to {step.duration:g} for step {number}")
    return RoutineView.of(
        timeline, number - 1, state or ("waiting" if step.wait else "running"), at
    )


def _program_line(catalog, name: str | None, day: int) -> tuple[str, str, float]:
    """The idle line on day ``day`` of program ``name`` after every session before it done,
    and today's session's title and length ("", 0 on a rest day)."""
    if not name:
        return "", "", 0.0
    if name not in catalog.programs:
        raise MassageTimerError(f"no program named '{name}'; known: {', '.join(catalog.programs)}")
    program, start = catalog.programs[name], dt.date(2026, 1, 5)
    days = [start + dt.timedelta(days=n) for n in range(max(0, day - 1))]
    done = [
        Practice(routine, date, True)
        for number, date in enumerate(days, start=1)
        for routine in program.day(number).session.routines
    ]
    seen = progress(program, Enrolment(name, start), done, start + dt.timedelta(days=day - 1))
    session = seen.plan.session
    titles = session.title or (
        catalog.routines[session.routines[0]].title if session.routines else ""
    )
    lengths = (plan(catalog.routines[n], estimated_length()) for n in session.routines)
    known = sum(timeline.total for timeline in lengths)  # with the time speech takes
    line = program_line(seen, titles, seen.plan.minutes or round(known / 60))
    return line, titles, known


def _size(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d+)x(\d+)", text.strip().lower())
    if not match or not (64 <= int(match[1]) <= 7680 and 64 <= int(match[2]) <= 4320):
        raise MassageTimerError(f"--size must look like 800x480 (64 to 7680 wide), not {text!r}")
    return int(match[1]), int(match[2])
