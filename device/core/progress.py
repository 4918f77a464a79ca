"""Where a person is in a program: day, week, today's session, done, missed, streak.

Pure calendar arithmetic on local dates; the daemon turns wall-clock records into them.
The rules that keep a Pi's unreliable clock from counting a day twice or losing one:

- A session's day is the local calendar date of its start at the UTC offset in force
  when it was recorded (kept in the record), so a later DST or time-zone change never
  moves a past session to another day.
- Days are a set: two sessions, or the same session read twice, count one day once.
- Today is the wall clock's local date. A session dated after today (stamped while the
  clock ran ahead, or seen after a jump backwards) is ignored until today reaches it:
  it is kept, not lost, and never fills a missed day it did not happen on.
- A date before ``CLOCK_FLOOR`` (2020) is a Pi that has not set its clock yet: no arithmetic.
- Paused days belong to no program day: they neither count, nor break the streak.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace

from device.core.program import Program, Today

CLOCK_FLOOR = dt.date(2020, 1, 1)  # an earlier date is an unsynced clock, not a real day
_EPOCH = dt.datetime(1970, 1, 1)


def local_day(started: float, utc_offset: float) -> dt.date:
    """The local calendar date of wall-clock second ``started`` at ``utc_offset`` seconds."""
    return (_EPOCH + dt.timedelta(seconds=started + utc_offset)).date()


@dataclass(frozen=True)
class Practice:
    """One recorded session, reduced to what the calendar needs."""

    routine: str
    day: dt.date
    completed: bool


@dataclass(frozen=True)
class Enrolment:
    """Following ``program`` from ``start`` (day 1); ``pauses`` are [first, end) date
    ranges, the last one open (``end`` None) while the program is paused."""

    program: str
    start: dt.date
    pauses: tuple[tuple[dt.date, dt.date | None], ...] = ()

    @property
    def paused(self) -> bool:
        return bool(self.pauses) and self.pauses[-1][1] is None

    def paused_on(self, day: dt.date) -> bool:
        return any(first <= day and (end is None or day < end) for first, end in self.pauses)

    def pause(self, day: dt.date) -> Enrolment:
        """Paused from ``day`` on (today's session is not asked for); ValueError if paused."""
        if self.paused:
            raise ValueError(f"the program is already paused (since {self.pauses[-1][0]})")
        return replace(self, pauses=(*self.pauses, (max(day, self.start), None)))

    def resume(self, day: dt.date) -> Enrolment:
        """Following again from ``day``; ValueError if not paused."""
        if not self.paused:
            raise ValueError("the program is not paused")
        first = self.pauses[-1][0]
        return replace(self, pauses=(*self.pauses[:-1], (first, max(day, first))))

    def number(self, day: dt.date) -> int:
        """The program day of ``day`` (from 1); 0 before the start or on a paused day."""
        if day < self.start or self.paused_on(day):
            return 0
        paused = sum(
            ((min(end, day) if end else day) - max(first, self.start)).days
            for first, end in self.pauses
            if first < day
        )
        return (day - self.start).days - max(0, paused) + 1


@dataclass(frozen=True)
class Progress:
    """The program as seen on one day."""

    day: int  # program day from 1; 0 when there is none (paused, not begun, no clock)
    plan: Today
    done: bool  # every routine of today's session completed today
    streak: int
    missed: int  # session days before today not done
    paused: bool = False
    clock_unset: bool = False
    next_session: dt.date | None = None  # the next session day after today

    @property
    def rest(self) -> bool:
        return bool(self.day) and not self.plan.session.routines and bool(self.plan.week)


def progress(
    program: Program, enrolment: Enrolment, practice: Iterable[Practice], today: dt.date
) -> Progress:
    """Where ``enrolment`` stands on ``today`` given the sessions in ``practice``."""
    if today < CLOCK_FLOOR:
        return Progress(0, Today(0, 0), False, 0, 0, clock_unset=True)
    done_by_day: dict[dt.date, set[str]] = {}
    for item in practice:
        if item.completed and item.day <= today:
            done_by_day.setdefault(item.day, set()).add(item.routine)
    calendar = _Calendar(program, enrolment, done_by_day)
    number = enrolment.number(today)
    plan = program.day(number) if number else Today(0, 0, starts=_starts(enrolment, today))
    return Progress(
        day=number if plan.week else 0,
        plan=plan,
        done=calendar.done(today),
        streak=calendar.streak(today),
        missed=calendar.missed(today),
        paused=enrolment.paused,
        next_session=calendar.next_session(today),
    )


def _starts(enrolment: Enrolment, today: dt.date) -> dt.date | None:
    return enrolment.start if today < enrolment.start else None


class _Calendar:
    """The program's plan laid over the days sessions were completed."""

    def __init__(self, program: Program, enrolment: Enrolment, done: dict) -> None:
        self.program, self.enrolment, self.done_by_day = program, enrolment, done

    def session(self, day: dt.date) -> tuple[str, ...]:
        number = self.enrolment.number(day)
        return self.program.day(number).session.routines if number else ()

    def done(self, day: dt.date) -> bool:
        routines = self.session(day)
        return bool(routines) and set(routines) <= self.done_by_day.get(day, set())

    def kept(self, day: dt.date) -> bool | None:
        """True: done or a rest day; False: a session day missed; None: not a program day."""
        number = self.enrolment.number(day)
        if not number or not self.program.day(number).week:
            return None
        return self.done(day) or not self.session(day)

    def streak(self, today: dt.date) -> int:
        """Days in a row the program was kept, from the first session done after the last
        miss to today (or yesterday, while today's session is still to do)."""
        day = today if self.kept(today) else today - dt.timedelta(days=1)
        kept_days, streak = 0, 0
        while day >= self.enrolment.start:
            kept = self.kept(day)
            if kept is False:
                break
            kept_days += bool(kept)
            if kept and self.session(day):
                streak = kept_days  # the run starts at a session done, not at a rest day
            day -= dt.timedelta(days=1)
        return streak

    def missed(self, today: dt.date) -> int:
        days = (today - self.enrolment.start).days
        past = (self.enrolment.start + dt.timedelta(days=n) for n in range(max(0, days)))
        return sum(1 for day in past if self.kept(day) is False)

    def next_session(self, today: dt.date) -> dt.date | None:
        for ahead in range(1, 15):
            day = today + dt.timedelta(days=ahead)
            if self.session(day):
                return day
        return None


def program_line(seen: Progress, title: str, minutes: int) -> str:
    """The idle screen's line: ``Week 3 · Day 17 · 12-day streak · today: Jaw, 30 min``;
    ``title`` and ``minutes`` describe today's session."""
    if seen.clock_unset:
        return "Program: waiting for the clock to be set"
    if seen.paused:
        return "Program paused"
    if seen.plan.starts:
        return f"Program starts {seen.plan.starts:%a %d %b}"
    if not seen.day:
        return "Program complete"
    parts = [f"Week {seen.plan.week}", f"Day {seen.day}"]
    parts += [f"{seen.streak}-day streak"] if seen.streak else []
    if seen.done:
        parts.append("done today ✓")
    elif seen.rest:
        parts.append("today: rest")
    else:
        parts.append(f"today: {title}, {minutes} min" if minutes else f"today: {title}")
    return " · ".join(parts)


def closing_words(seen: Progress, today: dt.date) -> tuple[str, ...]:
    """What the voice says when today's session is done: short, true, pre-renderable."""
    if not seen.next_session:
        return (f"That's day {seen.day}.", "That was the last session of the program. Well done.")
    ahead = (seen.next_session - today).days
    when = "tomorrow" if ahead == 1 else f"on {seen.next_session:%A}"
    return (f"That's day {seen.day}.", f"See you {when}.")


def closing_phrases(program: Program) -> set[str]:
    """Every phrase ``closing_words`` can say for ``program``: the speech cache renders them."""
    days = {f"That's day {n}." for n in range(1, program.weeks * 7 + 1)}
    weekdays = {f"See you on {dt.date(2026, 1, 5 + n):%A}." for n in range(7)}
    ending = "That was the last session of the program. Well done."
    return days | weekdays | {"See you tomorrow.", ending}
