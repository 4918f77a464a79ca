"""What the loop drives: speaker, screen, terminal, event log — one small protocol.

Each real output has a recording fake, so tests see exactly what was said,
played and shown without a speaker or a display.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Protocol, TypeVar

from device.core.routine import Routine
from device.core.session import Action, Say
from device.core.view import IdleView, RoutineView

log = logging.getLogger(__name__)
T = TypeVar("T")
View = RoutineView | IdleView


class Output(Protocol):
    """A thing the event loop feeds. Every method must return quickly and never raise
    for missing hardware: it logs once and degrades instead."""

    def start(self) -> None:
        """Open the device (called in order at daemon start)."""

    def prepare(
        self, routines: Mapping[str, Routine], phrases: frozenset[str] = frozenset()
    ) -> None:
        """Get ready for these routines and other ``phrases`` (a program's closing words):
        speech renders them in a worker."""

    def perform(self, actions: Sequence[Action], now: float) -> None:
        """Carry out the session's actions (say, sound, step and state changes)."""

    def show(self, view: View, now: float) -> float | None:
        """Show ``view``; return when it next needs a redraw (None: not until it changes)."""

    def stop(self) -> None:
        """Release the device (called in reverse order at shutdown)."""

    # What only some outputs can do. An output that subclasses Output inherits these
    # do-nothing versions, so the loop asks every output alike and probes none.

    reads_keys: bool = False  # a window whose keys act as the buttons (``poll_keys``)

    @property
    def role(self) -> str:
        """What it is to the user ("speaker", "display"), for ``ctl status``."""
        return type(self).__name__

    def problem(self) -> str:
        """Why it does not work now ('' when it does), for ``ctl status``."""
        return ""

    def press_feedback(self) -> None:
        """React the instant a button goes down (the speaker clicks); most do nothing."""
        return None

    def poll_keys(self, now: float) -> list[str]:
        """Keys pressed since last asked, as "play", "next:hold", ... or "quit"."""
        return []

    def phrase_lengths(self) -> Callable[[str], float] | None:
        """Seconds each phrase takes to say, for the planner; None if this one never speaks."""
        return None

    def wait_ready(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for ``prepare``'s work; False if not done."""
        return True


class Outputs:
    """The loop's outputs, told everything at once. One that raises is logged and left
    out from then on: missing or failing hardware degrades, it never stops the loop."""

    def __init__(self, outputs: Iterable[Output] = ()) -> None:
        self.items = list(outputs)

    def __iter__(self) -> Iterator[Output]:
        return iter(list(self.items))

    def __len__(self) -> int:
        return len(self.items)

    def append(self, output: Output) -> None:
        self.items.append(output)

    def prepare(
        self, routines: Mapping[str, Routine], phrases: frozenset[str] = frozenset()
    ) -> None:
        self._each("prepare", lambda output: output.prepare(routines, phrases))

    def perform(self, actions: Sequence[Action], now: float) -> None:
        self._each("perform", lambda output: output.perform(actions, now))

    def show(self, view: View, now: float) -> float | None:
        """Show ``view`` everywhere; the earliest redraw any output asked for."""
        times = self._each("show", lambda output: output.show(view, now))
        return min((t for t in times if t is not None), default=None)

    def press_feedback(self) -> None:
        for output in self:
            try:
                output.press_feedback()
            except Exception:  # feedback is a nicety; never let it break a press
                log.debug("%s.press_feedback failed", type(output).__name__, exc_info=True)

    def _each(self, what: str, call: Callable[[Output], T]) -> list[T]:
        results = []
        for output in self:
            try:
                results.append(call(output))
            except Exception:
                log.exception("%s.%s failed; carrying on without it", type(output).__name__, what)
                self.items.remove(output)
        return results


class RecordingOutput(Output):
    """Keeps everything it was given, like gpiozero's MockFactory keeps pin states."""

    def __init__(self) -> None:
        self.started = self.stopped = False
        self.prepared: list[list[str]] = []
        self.phrases: frozenset[str] = frozenset()  # the other phrases last prepared
        self.actions: list[tuple[float, Action]] = []
        self.views: list[tuple[float, View]] = []

    def start(self) -> None:
        self.started = True

    def prepare(
        self, routines: Mapping[str, Routine], phrases: frozenset[str] = frozenset()
    ) -> None:
        self.prepared.append(sorted(routines))
        self.phrases = phrases

    def perform(self, actions: Sequence[Action], now: float) -> None:
        self.actions.extend((now, action) for action in actions)

    def show(self, view: View, now: float) -> float | None:
        self.views.append((now, view))
        return None

    def stop(self) -> None:
        self.stopped = True

    @property
    def said(self) -> list[str]:
        return [a.text for _, a in self.actions if isinstance(a, Say)]
