"""The program the device follows: today's session for PLAY, the idle line, ctl status."""

from __future__ import annotations

import datetime as dt
import enum
import logging
from collections.abc import Callable, Mapping
from pathlib import Path

from device.core.program import Program
from device.core.progress import (
    Enrolment,
    Progress,
    closing_phrases,
    closing_words,
    program_line,
)
from device.core.routine import Routine
from device.core.speech_rules import QuietHours, parse_span
from device.core.timeline import estimated_length, plan
from device.daemon.enrolment import read_enrolment, today, where, write_enrolment
from device.daemon.history import Session

log = logging.getLogger(__name__)
SPOKEN = estimated_length()  # phrase lengths for a session's minutes, as `list` shows them


class Change(enum.Enum):
    """What ``program start|pause|resume|leave`` (and ``ctl program-…``) do."""

    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    LEAVE = "leave"


class Following:
    """The enrolment in the state folder (or the config's), and where it stands."""

    def __init__(
        self,
        folder: Path | None,
        fallback: tuple[str, str],
        sessions: Callable[[], list[Session]],
        wall: Callable[[], float],
    ) -> None:
        self.folder, self.fallback = folder, fallback
        self.sessions, self.wall = sessions, wall
        self.programs: dict[str, Program] = {}
        self.enrolment = self._read()
        self.seen: tuple[Program, Progress] | None = None

    def refresh(self, programs: Mapping[str, Program] | None = None) -> None:
        if programs is not None:
            self.programs = dict(programs)
        self.enrolment = self._read()
        self.seen = where(self.programs, self.enrolment, self.sessions(), self.wall())

    def phrases(self) -> frozenset[str]:
        """Every closing phrase the followed program can say: rendered ahead like all."""
        return frozenset(closing_phrases(self.seen[0])) if self.seen else frozenset()

    def due(self) -> tuple[str, tuple[str, ...]]:
        """(title, routines) of today's session while it is still to do; ("", ()) else."""
        if self.seen is None:
            return "", ()
        _, seen = self.seen
        if seen.done or seen.paused or not seen.plan.session.routines:
            return "", ()
        return seen.plan.session.title, seen.plan.session.routines

    def line(self, routines: Mapping[str, Routine]) -> str:
        if self.seen is None:
            return ""
        _, seen = self.seen
        return program_line(seen, self.title(routines), self.minutes(routines))

    def title(self, routines: Mapping[str, Routine]) -> str:
        title, names = self.due()
        found = routines.get(names[0]) if names else None
        return title or (found.title if found else (names[0] if names else ""))

    def minutes(self, routines: Mapping[str, Routine]) -> int:
        """The phase's target length, else the routines' planned lengths (with the time
        speech takes), in whole minutes."""
        _, names = self.due()
        if self.seen is None or not names:
            return 0
        known = sum(plan(routines[n], SPOKEN).total for n in names if n in routines)
        return self.seen[1].plan.minutes or round(known / 60)

    def closing(self) -> tuple[str, ...]:
        """The words after a session if it was today's and is now done; () otherwise."""
        before = self.due()
        self.refresh()
        if not before[1] or self.seen is None or not self.seen[1].done:
            return ()
        return closing_words(self.seen[1], today(self.wall()))

    def status(self, routines: Mapping[str, Routine]) -> dict:
        """The program part of ``ctl status``."""
        if self.seen is None:
            name = self.enrolment.program if self.enrolment else ""
            return {"program": name, "known": False} if name else {}
        program, seen = self.seen
        title, names = seen.plan.session.title, seen.plan.session.routines
        return {
            "program": program.name,
            "week": seen.plan.week,
            "day": seen.day,
            "streak": seen.streak,
            "missed": seen.missed,
            "paused": seen.paused,
            "done_today": seen.done,
            "rest_today": seen.rest,
            "today": {"title": title or self.title(routines), "routines": list(names)},
            "minutes": self.minutes(routines),
            "line": self.line(routines),
        }

    # -- changes, from ctl and the CLI ---------------------------------------------

    def change(self, action: Change, name: str = "", start: str = "") -> Enrolment | None:
        """Start, pause, resume or leave; ValueError with a message for the client."""
        if self.folder is None:
            raise ValueError("there is no state folder to keep the program in")
        if action is Change.START and name not in self.programs:
            known = ", ".join(sorted(self.programs)) or "none"
            raise ValueError(f"no program named '{name}'; known: {known}")
        self.refresh()
        self.enrolment = change(self.enrolment, action, name, start, today(self.wall()))
        write_enrolment(self.folder, self.enrolment)
        self.refresh()
        return self.enrolment

    def _read(self) -> Enrolment | None:
        return read_enrolment(self.folder, self.fallback)


def change(
    enrolment: Enrolment | None, action: Change, name: str, start: str, day: dt.date
) -> Enrolment | None:
    """The enrolment after ``action`` on ``day``; ValueError when it does not apply."""
    if action is Change.START:
        try:
            return Enrolment(name, dt.date.fromisoformat(start) if start else day)
        except ValueError:
            raise ValueError(f"'{start}' is not a date; write it as YYYY-MM-DD") from None
    if enrolment is None:
        raise ValueError("not following a program; start one first")
    if action is Change.PAUSE:
        return enrolment.pause(day)
    if action is Change.RESUME:
        return enrolment.resume(day)
    return None  # Change.LEAVE


REMINDER = "Today's session is still to do: press PLAY"


class Reminder:
    """Someone came by in the configured daily window while today's session is to do:
    the idle screen says so (and, if configured, one chime a day)."""

    def __init__(self, window: str = "", chime: bool = False) -> None:
        span = parse_span(window) if window.strip() else None
        self.window = QuietHours(*span) if span else None  # a daily span, wrapping midnight
        self.chime = chime
        self.showing = False
        self.chimed_on: dt.date | None = None

    def seen(self, following: Following, running: bool, wall: float) -> bool:
        """Motion now: whether to chime (the text shows from now on, while it applies)."""
        local = dt.datetime.fromtimestamp(wall)
        if self.window is None or running or not following.due()[1]:
            return False
        if not self.window.covers(local.time()):
            return False
        self.showing = True
        ring = self.chime and self.chimed_on != local.date()
        self.chimed_on = local.date() if ring else self.chimed_on
        return ring

    def text(self, following: Following, running: bool) -> str:
        self.showing = self.showing and not running and bool(following.due()[1])
        return REMINDER if self.showing else ""
