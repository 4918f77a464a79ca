"""The whole device as a pure state machine: idle selection, one session, wake/sleep.

Buttons, the control socket and the keyboard all arrive here as input names
("play", "next", "hold" variants already mapped); the loop passes ``now``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from device.core.routine import Routine
from device.core.session import Action, Command, Say, Session, State
from device.core.timeline import RANK_STEP, Timeline, plan
from device.core.view import IdleView, RoutineView
from device.exc import UnknownRoutineError

INPUTS = ("play", "start", "pause", "resume", "next", "prev", "stop", "repeat", "where")
DEFAULT_GESTURES: dict[tuple[str, str], str] = {
    ("play", "press"): "play",
    ("play", "hold"): "stop",
    ("next", "press"): "next",
    ("next", "hold"): "prev",
    ("repeat", "press"): "repeat",
    ("repeat", "hold"): "where",
}
SINGLE_BUTTON_GESTURES: dict[tuple[str, str], str] = {
    ("play", "press"): "play",
    ("play", "double"): "next",
    ("play", "hold"): "stop",
}


class Controller:
    """Routines by name, the selected one, and the session that is running, if any."""

    def __init__(
        self,
        routines: Mapping[str, Routine],
        selected: str = "",
        wake_seconds: float = 60.0,
        planner: Callable[[Routine], Timeline] = plan,
    ):
        self.routines: dict[str, Routine] = dict(routines)
        self.planner = planner  # the daemon passes one that knows each phrase's length
        self.preferred = selected  # chosen before the routines loaded, or gone while broken
        self.selected = ""
        self.update_routines(routines)
        self.session: Session | None = None
        self.wake_seconds = wake_seconds
        self.awake_until = float("-inf")
        self.program_line = ""
        self.warnings = 0
        self.due: tuple[str, tuple[str, ...]] = ("", ())  # today's program session, if to do
        self.picked = False  # a routine chosen with NEXT/PREV since: PLAY plays that instead
        self.sitting: tuple[str, tuple[str, ...]] = ("", ())  # the program session running
        self.queue: list[str] = []  # its routines still to come

    def set_due(self, title: str, routines: tuple[str, ...]) -> None:
        """Today's program session (title, routines), or ("", ()) when none is to do."""
        if (title, routines) != self.due:
            self.picked = False
        self.due = (title, routines)

    # -- the outside world ------------------------------------------------------

    def update_routines(self, routines: Mapping[str, Routine]) -> None:
        """New routines from a reload; a running session keeps the version it started with."""
        self.routines = dict(routines)
        if self.preferred in self.routines:
            self.selected = self.preferred
        elif self.selected not in self.routines:
            self.selected = next(iter(sorted(self.routines)), "")

    def select(self, name: str, now: float) -> list[Action]:
        if name not in self.routines:
            raise UnknownRoutineError(name, self.routines)
        self.selected = self.preferred = name
        self.picked = True
        self.wake(now)
        return [Say(self.planner(self.routines[name]).intro[0].content, RANK_STEP, now)]

    def start_sitting(self, title: str, routines: tuple[str, ...], now: float) -> list[Action]:
        """Run ``routines`` in order as one session; each one's intro speaks the boundary."""
        missing = [name for name in routines if name not in self.routines]
        if missing or not routines:
            raise UnknownRoutineError(missing[0] if missing else "", self.routines)
        actions = self.start(routines[0], now)
        self.sitting, self.queue = (title, routines), list(routines[1:])
        return actions

    def start(self, name: str, now: float) -> list[Action]:
        """Start ``name`` (or the selected routine), replacing any running session."""
        name = name or self.selected
        if name not in self.routines:
            raise UnknownRoutineError(name, self.routines)
        self.selected = self.preferred = name
        self.sitting, self.queue = ("", ()), []
        self.session = Session(self.planner(self.routines[name]))
        self.wake(now)
        return self.session.handle(Command.START, now)

    def wake(self, now: float) -> None:
        self.awake_until = now + self.wake_seconds

    def handle(self, name: str, now: float) -> list[Action]:
        """Apply one input ("play", "next", …) at ``now``."""
        if name not in INPUTS:
            raise ValueError(f"unknown input '{name}'; known: {', '.join(INPUTS)}")
        self.wake(now)
        if self.running:
            return self._session_input(name, now)
        return self._idle_input(name, now)

    def tick(self, now: float) -> list[Action]:
        """Fire whatever fell due; a finished session returns the device to idle."""
        if not self.session:
            return []
        actions = self.session.handle(Command.TICK, now)
        if self.session.state is State.DONE:
            return actions + self._after_routine(now)
        return actions

    def _after_routine(self, now: float) -> list[Action]:
        """A routine reached its end: the next of the session, or back to idle."""
        if self.queue:
            sitting, queue = self.sitting, self.queue
            actions = self.start(queue[0], now)
            self.sitting, self.queue = sitting, queue[1:]
            return actions
        self.session, self.sitting = None, ("", ())
        self.wake(now)
        return []

    def next_deadline(self, now: float) -> float | None:
        deadlines = [self.session.next_deadline()] if self.session else []
        if not self.running and self.awake_until > now:
            deadlines.append(self.awake_until)
        known = [d for d in deadlines if d is not None]
        return min(known) if known else None

    @property
    def running(self) -> bool:
        return self.session is not None and self.session.state is not State.DONE

    def view(self, now: float) -> RoutineView | IdleView:
        if self.session and self.running:
            return self._session_view(now)
        awake = now < self.awake_until
        routine = self.routines.get(self.selected)
        title = routine.title if routine else "No routines"
        names: tuple[str, ...] = (self.selected,) if routine else ()
        if self._plays_due:  # PLAY starts today's program session: show that
            names = self.due[1]
            title = self.due[0] or self.routines[names[0]].title
        # Asleep the mirror is black: a plan (~11 ms a routine) would be thrown away on
        # every pass of the loop, for the ~23 hours a day nobody looks.
        plans = (self.planner(self.routines[name]) for name in names if awake)
        length = sum((timeline.total for timeline in plans), 0.0)
        return IdleView(
            awake=awake,
            routine_title=title,
            routine_length=length,
            program=self.program_line,
            warnings=self.warnings,
        )

    def _session_view(self, now: float) -> RoutineView:
        """A routine of a program session is titled as part of it: ``2/5 · Cheek yoga``."""
        assert self.session is not None
        view = self.session.view(now)
        routines = self.sitting[1]
        if len(routines) < 2:
            return view
        part = len(routines) - len(self.queue)
        return replace(view, title=f"{part}/{len(routines)} · {view.title}")

    @property
    def _plays_due(self) -> bool:
        """PLAY on the idle screen starts today's program session (unless NEXT chose)."""
        names = self.due[1]
        return bool(names) and not self.picked and all(n in self.routines for n in names)

    # -- inputs -----------------------------------------------------------------

    def _session_input(self, name: str, now: float) -> list[Action]:
        assert self.session is not None
        # "start" during a routine only un-pauses it; PLAY's toggle would pause it.
        command = Command(name) if name != "start" else Command.RESUME
        actions = self.session.handle(command, now)
        if name == "stop":
            self.queue = []  # STOP ends the whole session, not only this routine
        if self.session.state is State.DONE:
            return actions + self._after_routine(now)
        return actions

    def _idle_input(self, name: str, now: float) -> list[Action]:
        if name in ("play", "start") and self._plays_due:
            return self.start_sitting(*self.due, now)
        if name in ("play", "start") and self.selected:
            return self.start(self.selected, now)
        if name in ("next", "prev") and self.routines:
            names = sorted(self.routines)
            step = 1 if name == "next" else -1
            position = names.index(self.selected) if self.selected in names else -1
            return self.select(names[(position + step) % len(names)], now)
        if name in ("repeat", "where") and self.selected:
            return self.select(self.selected, now)
        return []
