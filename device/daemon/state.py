"""Where a routine was, saved atomically at each step, plus a history of sessions.

The SD card may lose power at any instant: ``write_atomic`` writes a temp file,
fsyncs it, renames it over the old one and fsyncs the folder, so a reader sees
either the old record or the new one — never half of one.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from device.atomic import write_atomic
from device.core.session import Command, Say, State, StepStarted
from device.core.session import Session as LiveSession
from device.core.timeline import RANK_STEP
from device.core.validate import is_finite_number
from device.daemon.following import Following
from device.daemon.history import HISTORY_FILE, History, Session, utc_offset

__all__ = ["HISTORY_FILE", "Place", "StateStore", "Tracker", "write_atomic"]
log = logging.getLogger(__name__)
RESUME_FILE = "resume.json"
HISTORY_RETRY = 60.0  # seconds between tries to write history a full disk held back


@dataclass(frozen=True)
class Place:
    """A routine interrupted at the start of ``step`` (from 0), ``elapsed`` seconds in."""

    routine: str
    title: str
    step: int
    step_name: str
    elapsed: float
    saved_at: float  # wall-clock seconds (time.time()): survives a reboot, unlike monotonic
    started: float = 0.0  # wall-clock seconds when the session began (0: an older record)
    counted: bool = False  # already in the history as a partial session

    @property
    def offer(self) -> str:
        return f"Resume {self.title} at step {self.step + 1}?"


def _checked(data: object) -> Place:
    """A Place from a decoded record; TypeError if a field is missing or of the wrong type."""
    if not isinstance(data, dict):
        raise TypeError("not a JSON object")
    place = Place(**data)
    texts = all(isinstance(v, str) for v in (place.routine, place.title, place.step_name))
    numbers = all(is_finite_number(v) for v in (place.elapsed, place.saved_at, place.started))
    flags = type(place.counted) is bool and type(place.step) is int and place.step >= 0
    if not (texts and numbers and flags):
        raise TypeError(f"a field has the wrong type: {str(data)[:200]}")
    return place


class StateStore:
    """The resume record and the history file in the state folder; every IO error logs."""

    def __init__(self, folder: Path, wall=time.time) -> None:
        self.folder = Path(folder)
        self.wall = wall
        self.log = History(self.folder / HISTORY_FILE)

    def save(self, place: Place) -> None:
        self.log.flush()  # a step start is a chance to write what a full disk held back
        self._safely(write_atomic, self.folder / RESUME_FILE, json.dumps(asdict(place)))

    def clear(self) -> None:
        self._safely((self.folder / RESUME_FILE).unlink, missing_ok=True)

    def load(self, window: float) -> Place | None:
        """The saved place if it is younger than ``window`` seconds; None otherwise."""
        return self._recent(self._read(), window)

    def start_up(self, window: float) -> Place | None:
        """Count a session cut short by a kill or a power cut; the offer to resume it."""
        place = self._read()
        if place is not None and not place.counted:
            place = self._count_cut_short(place)
        return self._recent(place, window) if window else None

    def _recent(self, place: Place | None, window: float) -> Place | None:
        if place is None:
            return None
        age = self.wall() - place.saved_at
        # A Pi has no real-time clock: after a power cut the time may read earlier than the
        # save until NTP answers, so a small negative age counts as recent too.
        return place if abs(age) <= window else None

    def _count_cut_short(self, place: Place) -> Place:
        """A resume record at start-up is a session cut short: in the history as partial,
        once (the record stays, marked, for the offer)."""
        started = place.started or place.saved_at - place.elapsed  # an older record: guess
        seconds = round(max(0.0, place.saved_at - started), 1)
        session = Session(place.routine, round(started, 1), seconds, False, True)
        self.log.append(replace(session, utc_offset=utc_offset(started)))
        place = replace(place, counted=True)
        self.save(place)
        return place

    def record(self, routine: str, started: float, seconds: float, completed: bool) -> None:
        """Append one finished or stopped session to the history (one JSON line)."""
        session = Session(routine, round(started, 1), round(seconds, 1), completed)
        self.log.append(replace(session, utc_offset=utc_offset(started)))

    def history(self) -> list[Session]:
        return self.log.read()[0]

    def _read(self) -> Place | None:
        try:
            return _checked(json.loads((self.folder / RESUME_FILE).read_text(encoding="utf-8")))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError) as error:  # any malformed record: no offer
            log.warning("ignoring the resume record: %s", error)
            return None

    def _safely(self, action, *args, **kwargs) -> None:
        try:
            action(*args, **kwargs)
        except OSError as error:
            log.warning("cannot write state in %s: %s", self.folder, error)


class Tracker:
    """Follows the running session: resume record, history, status line, the resume offer."""

    def __init__(self, store: StateStore | None, window: float = 0.0, program=("", "")) -> None:
        self.store = store
        self.wall = store.wall if store else time.time  # the calendar, injectable for tests
        self.window = window
        self.place = store.start_up(window) if store else None  # the resume offer
        self.program = Following(  # the config's (name, first day): with no program.json
            store.folder if store else None, program, self.history, self.wall
        )
        self.session: LiveSession | None = None  # the one being followed
        self.started = (0.0, 0.0)  # (wall, monotonic) when the tracked session began
        self.stopped = False
        self.ended = False  # a session just ended: time to look at the program's day
        self.text = ""
        self.retry_at: float | None = None  # when to write held-back history again

    def before_input(self, controller, name: str, now: float) -> None:
        """A stop, or a start over a running session, ends it early: not completed."""
        if controller.running and name in ("stop", "start"):
            self.stopped = True

    def follow(self, controller, actions, now: float) -> str:
        """Save and record what ``actions`` did; the new status text if it changed."""
        current = controller.session if controller.running else None
        if current is not self.session:
            self._switch(current, now)
        for action in actions:
            if isinstance(action, StepStarted) and self.session and self.store:
                self.store.save(self._place(action.index))
        self._retry_history(now)
        text = self._text(controller)
        changed, self.text = text != self.text, text
        return text if changed else ""

    def _retry_history(self, now: float) -> None:
        """Records a full disk refused are tried again every HISTORY_RETRY seconds (the
        loop wakes at ``retry_at``), so they are written soon after there is room."""
        if not (self.store and self.store.log.waiting):
            self.retry_at = None
        elif self.retry_at is None:
            self.retry_at = now + HISTORY_RETRY
        elif now >= self.retry_at:
            self.store.log.flush()
            self.retry_at = now + HISTORY_RETRY if self.store.log.waiting else None

    def offer(self, controller) -> Place | None:
        """The standing resume offer; one for a routine no longer in the folder is dropped,
        so it cannot swallow the PLAY meant for the selected routine."""
        if self.place is not None and self.place.routine not in controller.routines:
            log.info("no resume offer for %s: it is no longer in the folder", self.place.routine)
            self.drop_offer()
        return self.place

    def offer_left(self) -> float:
        """Seconds until the standing offer is older than the resume window."""
        if self.place is None:
            return 0.0
        return min(self.window, max(0.0, self.place.saved_at + self.window - self.wall()))

    def drop_offer(self) -> None:
        self.place = None
        if self.store:
            self.store.clear()

    def answer_offer(self, controller, accept: bool, now: float) -> list:
        """PLAY: start the offered routine at its step; NEXT: forget it."""
        place = self.offer(controller)
        if not accept or place is None:
            self.drop_offer()
            return []
        self.place = None
        actions = controller.start(place.routine, now)
        for _ in range(min(place.step, len(controller.session.timeline.steps) - 1)):
            actions = controller.session.handle(Command.NEXT, now)  # only the last step speaks
        return actions

    def refresh_program(self, controller, programs: dict | None = None) -> None:
        """The idle line (``Week 3 · Day 17 · 12-day streak · today: Jaw, 30 min``) and
        today's session for PLAY."""
        self.program.refresh(programs)
        controller.program_line = self.program.line(controller.routines)
        controller.set_due(*self.program.due())

    def closing(self, controller, now: float) -> list[Say]:
        """Once today's program session is done: "That's day 17." "See you on Thursday." """
        self.ended = False
        words = self.program.closing()
        self.refresh_program(controller)
        return [Say(text, RANK_STEP, now) for text in words]

    def history(self) -> list[Session]:
        """The sessions so far, those a full disk holds back too; none if unreadable."""
        if not self.store:
            return []
        try:
            return self.store.history() + list(self.store.log.waiting)
        except OSError as error:
            log.warning("cannot read the history for the program's day: %s", error)
            return list(self.store.log.waiting)

    def until_tomorrow(self) -> float:
        """Seconds to just after the next local midnight; at most an hour, because a Pi's
        clock may still be set by NTP after boot."""
        now = dt.datetime.fromtimestamp(self.wall())
        midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time())
        return min(max(0.0, midnight.timestamp() - now.timestamp()) + 1.0, 3600.0)

    def state(self, controller) -> str:
        return controller.session.state.value if controller.running else "idle"

    def status(self, controller, now: float) -> dict:
        """Everything `massage-timer ctl status` prints, as plain JSON data."""
        view = controller.view(now)
        status = {"state": self.state(controller), "selected": controller.selected}
        status |= {"routines": sorted(controller.routines), "warnings": controller.warnings}
        status["offer"] = self.place.offer if self.place else ""
        if controller.running:
            status |= {"routine": controller.session.timeline.routine.name, "title": view.title}
            status |= {"step": view.step_index + 1, "steps": view.step_count}
            status |= {"step_name": view.step_name, "side": view.side}
            status |= {"step_left": round(view.step_left, 1)}
            status["routine_left"] = round(view.routine_left, 1)
        return status | self.program.status(controller.routines)

    def _switch(self, current, now: float) -> None:
        old, self.session = self.session, current
        if old is not None and self.store:
            done = old.state is State.DONE and not self.stopped
            completed = done and old.index == len(old.timeline.steps) - 1
            wall, began = self.started
            self.store.record(old.timeline.routine.name, wall, now - began, completed)
            if current is None:
                self.store.clear()
                self.ended = True
        self.stopped = False
        if current is not None:
            self.place = None
            self.started = (self.wall(), now)

    def _place(self, index: int) -> Place:
        assert self.session is not None  # asked only while following a session
        timeline = self.session.timeline
        step = timeline.steps[index]
        return Place(
            timeline.routine.name,
            timeline.routine.title,
            index,
            step.step.name,
            step.start,
            self.wall(),
            started=self.started[0],
        )

    def _text(self, controller) -> str:
        if not controller.running:
            return f"idle · {controller.selected or 'no routines'}"
        session = controller.session
        steps = len(session.timeline.steps)
        name = session.timeline.routine.name
        return f"{session.state.value} · {name} · step {session.index + 1}/{steps}"
