"""``program start|status|pause|resume|leave`` and ``history`` (with --png, --csv, --json)."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from device.cli.daemon import DaemonAbsent, ask_daemon
from device.cli.routines import catalog_of, configured
from device.config.paths import state_folder
from device.config.schema import Config
from device.core.durations import format_clock
from device.core.program import Program
from device.core.totals import Week, weekly_minutes
from device.daemon.enrolment import practice
from device.daemon.following import Change, Following
from device.daemon.history import Session
from device.daemon.state import StateStore
from device.exc import MassageTimerError


def register(commands: argparse._SubParsersAction) -> None:
    program = commands.add_parser("program", help="follow a program: start, status, pause, …")
    actions = program.add_subparsers(dest="action", metavar="ACTION", required=True)
    start = actions.add_parser("start", help="follow program NAME from today (or --from DATE)")
    start.add_argument("name", help="a program in routines/programs, without .toml")
    start.add_argument("--from", dest="start", default="", metavar="DATE", help="day 1")
    for name, text in (
        ("status", "where you are: week, day, today's session, the streak"),
        ("pause", "pause the program from today (days paused do not count)"),
        ("resume", "follow the paused program again from today"),
        ("leave", "stop following the program"),
    ):
        actions.add_parser(name, help=text)
    program.set_defaults(run=run_program)
    history = commands.add_parser("history", help="sessions, minutes per week and the streak")
    history.add_argument("--limit", type=int, default=20, metavar="N", help="last N (default 20)")
    export = history.add_mutually_exclusive_group()
    export.add_argument("--png", metavar="OUT", help="draw minutes per week to a PNG")
    export.add_argument("--csv", action="store_true", help="every session as CSV")
    export.add_argument("--json", action="store_true", help="every session as JSON")
    history.set_defaults(run=run_history)


def run_program(args: argparse.Namespace) -> int:
    """Through the daemon when it runs (it keeps the file), else on the state folder."""
    message: dict = {"cmd": "status" if args.action == "status" else f"program-{args.action}"}
    if args.action == "start":
        message |= {"name": args.name} | ({"from": args.start} if args.start else {})
    try:
        status = ask_daemon(args, message)["status"]
    except DaemonAbsent:
        status = _offline(args)
    _print_status(status)
    return 0


def _offline(args: argparse.Namespace) -> dict:
    """The change (or status) applied to the state folder, no daemon running."""
    config = configured(args)
    catalog = catalog_of(args, config)
    store = StateStore(state_folder(config.daemon.state))
    following = _following(config, store.folder, catalog.programs, store.history)
    if args.action != "status":
        try:
            name, start = getattr(args, "name", ""), getattr(args, "start", "")
            following.change(Change(args.action), name, start)
        except (ValueError, OSError) as error:
            raise MassageTimerError(str(error)) from None
    return following.status(catalog.routines)


def _following(
    config: Config,
    folder: Path,
    programs: dict[str, Program],
    sessions: Callable[[], list[Session]],
) -> Following:
    """Where the enrolment stands, from what the caller already read (config, catalog)."""
    fallback = (config.routines.program, config.routines.program_start)
    following = Following(folder, fallback, sessions, time.time)
    following.refresh(programs)
    return following


def _print_status(status: dict) -> None:
    if not status.get("program"):
        print("not following a program (start one: massage-timer program start NAME)")
    elif not status.get("known", True):
        print(f"following {status['program']}, which is not in the routines folder")
    else:
        print(f"{status['program']}: {status['line']}")


def run_history(args: argparse.Namespace) -> int:
    config = configured(args)
    store = StateStore(state_folder(config.daemon.state))
    sessions, skipped = store.log.read()
    if skipped:
        print(f"note: {skipped} lines skipped: not session records", file=sys.stderr)
    if args.csv or args.json:
        _export(sessions, args.json)
        return 0
    programs = catalog_of(args, config).programs
    following = _following(config, store.folder, programs, lambda: sessions)  # read once
    program = following.seen[0] if following.seen else None
    start = following.enrolment.start if following.enrolment and program else None
    done = [(p.day, s.seconds) for p, s in zip(practice(sessions), sessions, strict=True)]
    weeks = weekly_minutes(done, program, start)
    if args.png:
        _draw(weeks, program.title if program else "", Path(args.png))
        return 0
    _print_sessions(sessions[-args.limit :] if args.limit > 0 else sessions)
    _print_weeks([w for w in weeks if w.monday <= dt.date.today()][-8:], bool(program))
    if following.seen:
        streak = following.seen[1].streak
        print(f"\nstreak: {streak} day{'s' * (streak != 1)}")
    return 0


def _print_weeks(weeks: list[Week], targets: bool) -> None:
    """Minutes per week (of every session, partial ones too), the program's target beside."""
    if not weeks:
        return
    print("\nweek of      minutes" + ("   target" if targets else ""))
    for week in weeks:
        target = f"   {week.target:6.0f}" if targets else ""
        print(f"{week.monday:%a %d %b}  {week.minutes:7.0f}{target}")


def _print_sessions(shown: list[Session]) -> None:
    if not shown:
        print("no sessions yet", file=sys.stderr)
    for session in shown:
        when = dt.datetime.fromtimestamp(session.started).strftime("%Y-%m-%d %H:%M")
        length = format_clock(int(session.seconds))  # whole seconds done
        how = "completed" if session.completed else "cut short" if session.partial else "stopped"
        print(f"{when}  {session.routine:<28} {length:>6}  {how}")


def _export(sessions: list[Session], as_json: bool) -> None:
    """Every session with its local date and time, as JSON or CSV on stdout."""
    rows = [
        asdict(s) | {"day": p.day.isoformat(), "local": _local(s)}
        for s, p in zip(sessions, practice(sessions), strict=True)
    ]
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    fields = ["day", "local", "routine", "started", "seconds", "completed", "partial", "utc_offset"]
    writer = csv.DictWriter(sys.stdout, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)


def _local(session: Session) -> str:
    offset = session.utc_offset
    zone = dt.timezone(dt.timedelta(seconds=offset)) if offset is not None else None
    stamp = dt.datetime.fromtimestamp(session.started, zone)
    return (stamp if zone else stamp.astimezone()).isoformat(timespec="seconds")


def _draw(weeks, program_title: str, out: Path) -> None:
    if not weeks:
        raise MassageTimerError("no sessions yet: nothing to draw")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame  # only when a picture is wanted

    from device.display.chart import draw_chart

    title = f"Minutes per week · {program_title}" if program_title else "Minutes per week"
    pygame.image.save(draw_chart(weeks, title), str(out))
    print(f"wrote {out} ({len(weeks)} weeks)", file=sys.stderr)
