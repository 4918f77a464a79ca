"""Simulation only: `ctl press` on mock pins, window keys as buttons, and virtual time."""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterable
from typing import Protocol

from device.clock import FakeClock
from device.core.gestures import Gesture, GestureDecoder
from device.core.outputs import Output
from device.daemon.board import Board
from device.daemon.inbox import Event, Stop

KEY_POLL = 0.05  # seconds; only a simulation with a window reads keys (pygame needs asking)
After = Callable[[float, Callable[[float], None]], None]  # Loop.after


class KeyLoop(Protocol):
    """What ``poll_keys`` needs of the loop."""

    @property
    def outputs(self) -> Iterable[Output]: ...

    def post(self, event: Event) -> None: ...

    def gesture(self, gesture: Gesture, now: float, at: float | None = None) -> None: ...

    def after(self, delay: float, action: Callable[[float], None]) -> None: ...


def press(
    board: Board | None, button: str, hold: float | None, decoder: GestureDecoder, after: After
) -> dict:
    """Drive the button's mock pin low, and high again ``hold`` seconds later (a request's
    ``hold`` was checked, 0 to MAX_HOLD, by ``control.check_request``)."""
    pins = board.pins if board else {}
    name = str(button).lower()
    if board is None or board.factory is None:
        return {"ok": False, "error": "press works only with `run --simulate`"}
    if name not in pins or name == "motion":
        return {"ok": False, "error": f"no button '{button}'; known: {', '.join(pins)}"}
    length = float(hold) if hold is not None else max(0.1, 2 * decoder.bounce)
    board.press(name, True)
    after(length, lambda now: board.press(name, False))
    return {"ok": True, "button": name, "seconds": length}


def poll_keys(loop: KeyLoop) -> Callable[[float], None]:
    """A timer action: keys of a window act as the buttons ("play", "next:hold", "quit")."""

    def poll(now: float) -> None:
        for output in loop.outputs:
            for key in output.poll_keys(now):
                if key == "quit":
                    loop.post(Stop("window closed"))
                    continue
                button, _, hold = key.partition(":")
                loop.gesture((button, hold or "press"), now)
        loop.after(KEY_POLL, poll)

    return poll


def virtual_wait(clock: FakeClock) -> Callable[[queue.SimpleQueue[Event], float | None], Event]:
    """For tests and simulations in virtual time: instead of waiting, jump a FakeClock."""

    def wait(source: queue.SimpleQueue[Event], timeout: float | None) -> Event:
        try:
            return source.get_nowait()
        except queue.Empty:
            if timeout is None:
                raise RuntimeError("the loop would wait forever") from None
            clock.advance(timeout)
            raise

    return wait
