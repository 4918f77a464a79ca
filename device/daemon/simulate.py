"""Simulation only: `ctl press` on mock pins, window keys as buttons, and virtual time."""

from __future__ import annotations

import math
import queue
from collections.abc import Callable

from device.daemon.board import press_pin

KEY_POLL = 0.05  # seconds; only a simulation with a window reads keys (pygame needs asking)
MAX_HOLD = 30.0  # seconds a simulated press may last


def press(loop, button: str, hold: float | None) -> dict:
    """Drive the button's mock pin low, and high again ``hold`` seconds later."""
    pins = loop.board.pins if loop.board else {}
    name = str(button).lower()
    if loop.factory is None:
        return {"ok": False, "error": "press works only with `run --simulate`"}
    if name not in pins or name == "motion":
        return {"ok": False, "error": f"no button '{button}'; known: {', '.join(pins)}"}
    length = float(hold) if hold is not None else max(0.1, 2 * loop.decoder.bounce)
    if not (math.isfinite(length) and 0 <= length <= MAX_HOLD):
        return {"ok": False, "error": f"hold must be 0 to {MAX_HOLD:g} seconds"}
    press_pin(loop.factory, pins[name], True)
    loop.after(length, lambda now: press_pin(loop.factory, pins[name], False))
    return {"ok": True, "button": name, "seconds": length}


def poll_keys(loop) -> Callable[[float], None]:
    """A timer action: keys of a window act as the buttons ("play", "next:hold", "quit")."""

    def poll(now: float) -> None:
        for output in loop.outputs:
            for key in getattr(output, "poll_keys", lambda now: [])(now):
                if key == "quit":
                    loop.post("stop", "window closed")
                    continue
                button, _, hold = key.partition(":")
                loop.gesture((button, hold or "press"), now)
        loop.after(KEY_POLL, poll)

    return poll


def virtual_wait(clock) -> Callable[[queue.SimpleQueue, float | None], tuple]:
    """For tests and simulations in virtual time: instead of waiting, jump a FakeClock."""

    def wait(source: queue.SimpleQueue, timeout: float | None) -> tuple:
        try:
            return source.get_nowait()
        except queue.Empty:
            if timeout is None:
                raise RuntimeError("the loop would wait forever") from None
            clock.advance(timeout)
            raise

    return wait
