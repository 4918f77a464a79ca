"""Where a routine was, saved atomically at each step, plus a history of sessions.

The SD card may lose power at any instant: ``write_atomic`` writes a temp file,
fsyncs it, renames it over the old one and fsyncs the folder, so a reader sees
either the old record or the new one — never half of one.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from device.core.session import Command, State, StepStarted

log = logging.getLogger(__name__)
RESUME_FILE = "resume.json"
HISTORY_FILE = "history.jsonl"


@dataclass(frozen=True)
class Place:
    """A routine interrupted at the start of ``step`` (from 0), ``elapsed`` seconds in."""

    routine: str
    title: str
    step: int
    step_name: str
    elapsed: float
    saved_at: float  # wall-clock seconds (time.time()): survives a reboot, unlike monotonic

    @property
    def offer(self) -> str:
        return f"Resume {self.title} at step {self.step + 1}?"


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so that a power cut leaves the old or the new file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)
    folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def _checked(data: object) -> Place:
    """A Place from a decoded record; TypeError if a field is missing or of the wrong type."""
    if not isinstance(data, dict):
        raise TypeError("not a JSON object")
    place = Place(**data)
    texts = all(isinstance(v, str) for v in (place.routine, place.title, place.step_name))
    numbers = all(_finite(v) for v in (place.elapsed, place.saved_at))
    if not (texts and numbers and type(place.step) is int and place.step >= 0):
        raise TypeError(f"a field has the wrong type: {str(data)[:200]}")
    return place


def _finite(value: object) -> bool:
    return type(value) in (int, float) and math.isfinite(value)


class StateStore:
    """The resume record and the history file in the state folder; IO errors log once."""

    def __init__(self, folder: Path, wall=time.time) -> None:
        self.folder = Path(folder)
        self.wall = wall
        self._warned = False

    def save(self, place: Place) -> None:
        self._safely(write_atomic, self.folder / RESUME_FILE, json.dumps(asdict(place)))

    def clear(self) -> None:
        self._safely((self.folder / RESUME_FILE).unlink, missing_ok=True)

    def load(self, window: float) -> Place | None:
        """The saved place if it is younger than ``window`` seconds; None otherwise."""
        try:
            place = _checked(json.loads((self.folder / RESUME_FILE).read_text(encoding="utf-8")))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError) as error:  # any malformed record: no offer
            log.warning("ignoring the resume record: %s", error)
            return None
        age = self.wall() - place.saved_at
        # A Pi has no real-time clock: after a power cut the time may read earlier than the
        # save until NTP answers, so a small negative age counts as recent too.
        return place if abs(age) <= window else None

    def record(self, routine: str, started: float, seconds: float, completed: bool) -> None:
        """Append one finished or stopped session to the history (one JSON line)."""
        entry = {
            "routine": routine,
            "started": round(started, 1),
            "seconds": round(seconds, 1),
            "completed": completed,
        }
        self._safely(self._append, json.dumps(entry))

    def history(self) -> list[dict]:
        try:
            lines = (self.folder / HISTORY_FILE).read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        entries = []
        for line in lines:
            try:
                entries.append(json.loads(line))
            except ValueError:
                continue  # a line cut short by a power loss: skip it, keep the rest
        return entries

    def _append(self, line: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / HISTORY_FILE, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def _safely(self, action, *args, **kwargs) -> None:
        try:
            action(*args, **kwargs)
        except OSError as error:
            if not self._warned:
                log.warning("cannot write state in %s: %s", self.folder, error)
                self._warned = True


class Tracker:
    """Follows the running session: resume record, history, status line, the resume offer."""

    def __init__(self, store: StateStore | None, window: float = 0.0, program=("", "")) -> None:
        self.store = store
        self.wall = store.wall if store else time.time  # the calendar, injectable for tests
        self.place = store.load(window) if store and window else None  # the resume offer
        self.program = program  # (name, first day as YYYY-MM-DD) from the config
        self.programs: dict = {}  # the programs of the last load
        self.session = None
        self.started = (0.0, 0.0)  # (wall, monotonic) when the tracked session began
        self.stopped = False
        self.text = ""

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
        text = self._text(controller)
        changed, self.text = text != self.text, text
        return text if changed else ""

    def answer_offer(self, controller, accept: bool, now: float) -> list:
        """PLAY: start the offered routine at its step; NEXT: forget it."""
        place, self.place = self.place, None
        if not accept or place is None or place.routine not in controller.routines:
            if self.store:
                self.store.clear()
            return []
        actions = controller.start(place.routine, now)
        for _ in range(min(place.step, len(controller.session.timeline.steps) - 1)):
            actions = controller.session.handle(Command.NEXT, now)  # only the last step speaks
        return actions

    def refresh_program(self, controller, programs: dict | None = None) -> None:
        """The idle screen's line: ``Week 9 · every other day · today: rest``."""
        self.programs = self.programs if programs is None else programs
        name, first = self.program
        try:
            begun = dt.date.fromisoformat(first)
        except ValueError:
            begun = None
        found = self.programs.get(name) if name else None
        today = dt.datetime.fromtimestamp(self.wall()).date()
        controller.program_line = found.today(begun, today).summary if found and begun else ""

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
        return status

    def _switch(self, current, now: float) -> None:
        old, self.session = self.session, current
        if old is not None and self.store:
            done = old.state is State.DONE and not self.stopped
            completed = done and old.index == len(old.timeline.steps) - 1
            wall, began = self.started
            self.store.record(old.timeline.routine.name, wall, now - began, completed)
            if current is None:
                self.store.clear()
        self.stopped = False
        if current is not None:
            self.place = None
            self.started = (self.wall(), now)

    def _place(self, index: int) -> Place:
        timeline = self.session.timeline
        step = timeline.steps[index]
        return Place(
            timeline.routine.name,
            timeline.routine.title,
            index,
            step.step.name,
            step.start,
            self.wall(),
        )

    def _text(self, controller) -> str:
        if not controller.running:
            return f"idle · {controller.selected or 'no routines'}"
        session = controller.session
        steps = len(session.timeline.steps)
        name = session.timeline.routine.name
        return f"{session.state.value} · {name} · step {session.index + 1}/{steps}"
