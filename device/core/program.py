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
_PHASE_KEYS = ("weeks", "every_days", "routines")
MAX_WEEKS = 104


@dataclass(frozen=True)
class Phase:
    """Weeks ``first``..``last`` (inclusive): a session every ``every_days`` days."""

    first: int
    last: int
    every_days: int
    routines: tuple[str, ...]
    line: int = 0


@dataclass(frozen=True)
class Today:
    """What the program asks for on one day."""

    week: int  # from 1; 0 before the start or after the end
    every_days: int
    routine: str  # "" on a rest day, before the start or after the end
    starts: dt.date | None = None  # set when the program has not begun yet

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
            return Today(0, 0, "", starts=started)
        week = day // 7 + 1
        for phase in self.phases:
            if phase.first <= week <= phase.last:
                offset = day - (phase.first - 1) * 7
                if offset % phase.every_days:
                    return Today(week, phase.every_days, "")
                session = offset // phase.every_days
                return Today(week, phase.every_days, phase.routines[session % len(phase.routines)])
        return Today(0, 0, "")


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
    routines = checker.text_list(raw, "routines", where, label)
    if not routines:
        checker.report(where, label, "'routines' is missing or empty; name at least one routine")
    return Phase(
        first=weeks[0],
        last=weeks[1],
        every_days=checker.integer(raw, "every_days", where, label, 1, 1, 7),
        routines=routines or ("",),
        line=checker.source.line(*where),
    )


def _check_order(checker: Checker, phases: tuple[Phase, ...]) -> None:
    if phases and phases[0].first not in (0, 1):  # else week 1 would read "Program complete"
        message = f"starts at week {phases[0].first}; the first phase must start at week 1"
        checker.report(("phase", 0, "weeks"), "phase 1.weeks", message)
    for index, (before, after) in enumerate(itertools.pairwise(phases), start=1):
        if before.first and after.first and after.first != before.last + 1:
            message = f"starts at week {after.first}; it should follow week {before.last}"
            checker.report(("phase", index, "weeks"), f"phase {index + 1}.weeks", message)
