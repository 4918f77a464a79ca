"""Minutes per week from the history, for ``history`` and its chart (pure arithmetic)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from device.core.program import Program


@dataclass(frozen=True)
class Week:
    """One week of practice: Monday's date, minutes done, the program's target minutes."""

    monday: dt.date
    minutes: float
    target: float = 0.0


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def weekly_minutes(
    done: Iterable[tuple[dt.date, float]],
    program: Program | None = None,
    start: dt.date | None = None,
) -> list[Week]:
    """Every week from the first session (or the program's start) to the last, empty ones
    included, with the program's target for the days of each week when there is one.
    ``done`` is (local day, seconds) of every session, partial ones too."""
    seconds: dict[dt.date, float] = {}
    for day, length in done:
        seconds[monday(day)] = seconds.get(monday(day), 0.0) + length
    firsts = [*seconds, *([monday(start)] if start else [])]
    if not firsts:
        return []
    end = [monday(start + dt.timedelta(weeks=program.weeks, days=-1))] if start and program else []
    ends = [*seconds, *end]
    week, last, weeks = min(firsts), max(ends), []
    while week <= last:
        target = program_minutes(program, start, week) if program and start else 0.0
        weeks.append(Week(week, round(seconds.get(week, 0.0) / 60, 1), target))
        week += dt.timedelta(weeks=1)
    return weeks


def program_minutes(program: Program, start: dt.date, week: dt.date) -> float:
    """The program's target minutes for the calendar week beginning ``week``."""
    days = (week + dt.timedelta(days=n) for n in range(7))
    plans = (program.day((day - start).days + 1) for day in days if day >= start)
    return float(sum(plan.minutes for plan in plans if plan.session.routines))
