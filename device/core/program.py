"""Programs: a schedule of routines over weeks, such as the 20-week face-yoga study."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from device.core.routine import checked_name
from device.core.tomlsource import read_source
from device.core.validate import Checker

_TOP_KEYS = ("title", "description", "sources", "phase")
_PHASE_KEYS = ("weeks", "every_days", "routines", "sessions", "minutes")
_SESSION_KEYS = ("title", "routines")
MAX_WEEKS = 104


@dataclass(frozen=True)
class Sitting:
    """One program session: routines run in order as one session, under one title."""

    routines: tuple[str, ...]
    title: str = ""  # "" for a one-routine session: the routine's own title is shown


@dataclass(frozen=True)
class Phase:
    """Weeks ``first``..``last`` (inclusive): a session every ``every_days`` days, the
    sessions taken in turn; ``minutes`` is the target length of a session (0: none)."""

    first: int
    last: int
    every_days: int
    sessions: tuple[Sitting, ...]
    line: int = 0
    minutes: int = 0

    @property
    def routines(self) -> tuple[str, ...]:
        """Every routine the phase names, once each, in order of first use."""
        return tuple(dict.fromkeys(name for s in self.sessions for name in s.routines))


@dataclass(frozen=True)
class Today:
    """What the program asks for on one day."""

    week: int  # from 1; 0 before the start or after the end
    every_days: int
    session: Sitting = Sitting(())  # no routines on a rest day, before the start or after
    starts: dt.date | None = None  # set when the program has not begun yet
    minutes: int = 0  # the phase's target length of a session

    @property
    def routine(self) -> str:
        """The session's first routine; "" on a rest day."""
        return self.session.routines[0] if self.session.routines else ""

    @property
    def summary(self) -> str:
        """``Week 9 · every other day · today: rest`` for the idle screen."""
        if self.starts:
            return f"Program starts {self.starts:%a %d %b}"
        if not self.week:
            return "Program complete"
        how = {1: "daily", 2: "every other day"}.get(
            self.every_days, f"every {self.every_days} days"
        )
        return f"Week {self.week} · {how} · today: {self.routine or 'rest'}"


@dataclass(frozen=True)
class Program:
    """A validated program, named by its file name without ``.toml``."""

    name: str
    title: str
    phases: tuple[Phase, ...]
    description: str = ""
    sources: tuple[str, ...] = ()
    path: str = ""

    @property
    def weeks(self) -> int:
        return max((phase.last for phase in self.phases), default=0)

    def today(self, started: dt.date, today: dt.date) -> Today:
        """The plan for ``today`` when the program was begun on ``started`` (day 1)."""
        day = (today - started).days
        if day < 0:  # a start date ahead, or a Pi whose clock has not synced yet
            return Today(0, 0, starts=started)
        return self.day(day + 1)

    def day(self, number: int) -> Today:
        """The plan for day ``number`` of the program (day 1 is the first)."""
        day = number - 1
        week = day // 7 + 1
        for phase in self.phases:
            if phase.first <= week <= phase.last:
                offset = day - (phase.first - 1) * 7
                if offset % phase.every_days:
                    return Today(week, phase.every_days, minutes=phase.minutes)
                turn = offset // phase.every_days
                session = phase.sessions[turn % len(phase.sessions)]
                return Today(week, phase.every_days, session, minutes=phase.minutes)
        return Today(0, 0)


def load_program(path: Path) -> Program:
    """Load and validate one program file; raise InvalidFileError listing every problem."""
    checker = Checker(read_source(path))
    data = checker.source.data
    name = checked_name(checker, path)
    checker.unknown_keys(data, _TOP_KEYS, (), "")
    raw_phases = checker.get(data, "phase", list, (), "", [])
    if not raw_phases:
        checker.report((), "", "no phases; add at least one [[phase]] table")
    phases = tuple(_phase(checker, raw, i) for i, raw in enumerate(raw_phases))
    _check_order(checker, phases)
    program = Program(
        name=name,
        title=checker.required_text(data, "title", (), ""),
        phases=phases,
        description=checker.get(data, "description", str, (), "", ""),
        sources=checker.text_list(data, "sources", (), ""),
        path=checker.source.path,
    )
    checker.raise_if_any()
    return program


def _phase(checker: Checker, raw: Any, index: int) -> Phase:
    where, label = ("phase", index), f"phase {index + 1}"
    if not isinstance(raw, dict):
        checker.report(where, label, "must be a [[phase]] table")
        return Phase(1, 1, 1, ())
    checker.unknown_keys(raw, _PHASE_KEYS, where, label)
    weeks = checker.get(raw, "weeks", list, where, label, [1, 1])
    if len(weeks) != 2 or not all(isinstance(w, int) and 1 <= w <= MAX_WEEKS for w in weeks):
        checker.report(
            (*where, "weeks"), f"{label}.weeks", f"must be [first, last], 1 to {MAX_WEEKS}"
        )
        weeks = [0, 0]  # unknown: _check_order skips it rather than report a made-up gap
    if weeks[0] > weeks[1]:
        checker.report((*where, "weeks"), f"{label}.weeks", "first week is after the last")
    sessions = tuple(Sitting((name,)) for name in checker.text_list(raw, "routines", where, label))
    sessions += _sittings(checker, raw, where, label)
    if not sessions:
        message = "no 'routines' or 'sessions'; name at least one routine"
        checker.report(where, label, message)
    return Phase(
        first=weeks[0],
        last=weeks[1],
        every_days=checker.integer(raw, "every_days", where, label, 1, 1, 7),
        sessions=sessions or (Sitting(("",)),),
        line=checker.source.line(*where),
        minutes=checker.integer(raw, "minutes", where, label, 0, 0, 240),
    )


def _sittings(checker: Checker, raw: dict, where: tuple, label: str) -> tuple[Sitting, ...]:
    """``sessions = [{ title = "…", routines = ["a", "b"] }, …]``: several routines a day."""
    sittings = []
    for index, item in enumerate(checker.get(raw, "sessions", list, where, label, [])):
        at, name = (*where, "sessions", index), f"{label}.sessions[{index + 1}]"
        if not isinstance(item, dict):
            checker.report(at, name, 'must be { title = "…", routines = ["…", …] }')
            continue
        checker.unknown_keys(item, _SESSION_KEYS, at, name)
        routines = checker.text_list(item, "routines", at, name)
        if not routines:
            checker.report(at, name, "'routines' is missing or empty")
            continue
        sittings.append(Sitting(routines, checker.get(item, "title", str, at, name, "")))
    return tuple(sittings)


def _check_order(checker: Checker, phases: tuple[Phase, ...]) -> None:
    if phases and phases[0].first not in (0, 1):  # else week 1 would read "Program complete"
        message = f"starts at week {phases[0].first}; the first phase must start at week 1"
        checker.report(("phase", 0, "weeks"), "phase 1.weeks", message)
    for index, (before, after) in enumerate(itertools.pairwise(phases), start=1):
        if before.first and after.first and after.first != before.last + 1:
            message = f"starts at week {after.first}; it should follow week {before.last}"
            checker.report(("phase", index, "weeks"), f"phase {index + 1}.weeks", message)
