"""What the loop drives: speaker, screen, terminal, event log — one small protocol.

Each real output has a recording fake, so tests see exactly what was said,
played and shown without a speaker or a display.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from device.core.routine import Routine
from device.core.session import Action
from device.core.view import IdleView, RoutineView

View = RoutineView | IdleView


class Output(Protocol):
    """A thing the event loop feeds. Every method must return quickly and never raise
    for missing hardware: it logs once and degrades instead."""

    def start(self) -> None:
        """Open the device (called in order at daemon start)."""

    def prepare(self, routines: Mapping[str, Routine]) -> None:
        """Get ready for these routines (speech renders phrases in a worker)."""

    def perform(self, actions: Sequence[Action], now: float) -> None:
        """Carry out the session's actions (say, sound, step and state changes)."""

    def show(self, view: View, now: float) -> float | None:
        """Show ``view``; return when it next needs a redraw (None: not until it changes)."""

    def stop(self) -> None:
        """Release the device (called in reverse order at shutdown)."""


class RecordingOutput:
    """Keeps everything it was given, like gpiozero's MockFactory keeps pin states."""

    def __init__(self) -> None:
        self.started = self.stopped = False
        self.prepared: list[list[str]] = []
        self.actions: list[tuple[float, Action]] = []
        self.views: list[tuple[float, View]] = []

    def start(self) -> None:
        self.started = True

    def prepare(self, routines: Mapping[str, Routine]) -> None:
        self.prepared.append(sorted(routines))

    def perform(self, actions: Sequence[Action], now: float) -> None:
        self.actions.extend((now, action) for action in actions)

    def show(self, view: View, now: float) -> float | None:
        self.views.append((now, view))
        return None

    def stop(self) -> None:
        self.stopped = True

    @property
    def said(self) -> list[str]:
        return [a.text for _, a in self.actions if hasattr(a, "text")]
