"""Terminal output: a progress bar for the view and one line per cue, for demo and SSH."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TextIO

from device.core.durations import format_clock
from device.core.outputs import Output
from device.core.routine import Routine
from device.core.session import Action, Say, Sound, State, StateChanged, StepStarted
from device.core.view import IdleView, RoutineView

BAR_WIDTH = 24


def describe(action: Action, started: float) -> str:
    """One line for ``action``, stamped with its planned offset from ``started``."""
    stamp = format_clock(action.due - started) if action.due >= started else "0:00"
    if isinstance(action, Say):
        return f"{stamp}  says   “{action.text}”"
    if isinstance(action, Sound):
        return f"{stamp}  sound  {action.name}"
    if isinstance(action, StepStarted):
        return f"{stamp}  step   {action.index + 1}: {action.name}"
    if isinstance(action, StateChanged):
        return f"{stamp}  state  {action.state.value}"
    return f"{stamp}  {action}"


def status_line(view: RoutineView | IdleView) -> str:
    """``[#####-----] 40%  Cheek lifter · Left · 3 of 8 · 0:25 left (routine 2:10)``."""
    if isinstance(view, IdleView):
        return f"idle · {view.routine_title}" + (f" · {view.program}" if view.program else "")
    done = round(view.progress * BAR_WIDTH)
    bar = "#" * done + "-" * (BAR_WIDTH - done)
    parts = [f"{view.step_index + 1}/{view.step_count} {view.step_name}"]
    if view.side:
        parts.append(view.side.capitalize())
    if view.reps:
        parts.append(f"{view.rep} of {view.reps}")
    if view.state == "waiting":
        parts.append("press PLAY")
    elif view.state == "paused":
        parts.append("PAUSED")
    else:
        parts.append(f"{format_clock(view.step_left)} left")
    parts.append(f"routine {format_clock(view.routine_left)}")
    return f"[{bar}] {view.progress:4.0%}  " + " · ".join(parts)


class TerminalOutput(Output):
    """Prints cues as lines; on a terminal it also keeps a live status line."""

    role = "terminal"

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.started: float | None = None  # when the running routine began
        self.live = stream.isatty()
        self.last_moment: tuple = ()
        self.done_at: float | None = None

    def start(self) -> None:
        """Nothing to open; a terminal is always there."""

    def prepare(
        self, routines: Mapping[str, Routine], phrases: frozenset[str] = frozenset()
    ) -> None:
        """Nothing to prepare."""

    def perform(self, actions: Sequence[Action], now: float) -> None:
        for action in actions:
            if self.done_at is not None and action.due > self.done_at:
                self.started = self.done_at = None  # a new run; the finish bell was the old one's
            if self.started is None:
                self.started = action.due
            self._line(describe(action, self.started))
            if isinstance(action, StateChanged) and action.state is State.DONE:
                self.done_at = action.due

    def show(self, view: RoutineView | IdleView, now: float) -> float | None:
        if not self.live:
            self._log_progress(view)
            return None
        self.stream.write("\r\033[K" + status_line(view))
        self.stream.flush()
        running = isinstance(view, RoutineView) and view.state == "running"
        return now + 1.0 if running else None  # the clock on the line moves once a second

    def _log_progress(self, view: RoutineView | IdleView) -> None:
        """Into a log or a pipe: the progress line once per step, side or state."""
        if not isinstance(view, RoutineView):
            return
        moment = (view.step_index, view.side, view.state)
        if moment != self.last_moment:
            self.last_moment = moment
            self._line(status_line(view))

    def stop(self) -> None:
        if self.live:
            self.stream.write("\n")

    def _line(self, text: str) -> None:
        self.stream.write(("\r\033[K" if self.live else "") + text + "\n")
        self.stream.flush()
