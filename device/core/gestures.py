"""Button gestures: edges in, ``press`` / ``hold`` / ``double`` out, on the loop's clock.

Pure: the loop passes every edge and its time, and asks for the next deadline (a
hold or the end of a double-press window) to wait for, so a test drives it with a
FakeClock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

BUTTONS = ("play", "next", "repeat")
Gesture = tuple[str, str]  # (button, "press" | "hold" | "double")


@dataclass
class _Held:
    down_at: float | None = None
    held: bool = False
    last_up: float = float("-inf")
    pending_up: float | None = None  # single-button mode: a press that may become a double


@dataclass
class GestureDecoder:
    """Edges in, gestures out. Presses shorter than ``bounce`` are contact noise."""

    hold: float = 1.0
    bounce: float = 0.05
    double: float = 0.4
    single_button: bool = False
    buttons: dict[str, _Held] = field(default_factory=dict)

    def edge(self, button: str, pressed: bool, t: float) -> list[Gesture]:
        state = self.buttons.setdefault(button, _Held())
        out = self.tick(t)
        if pressed:
            if state.down_at is None and t - state.last_up >= self.bounce:
                state.down_at, state.held = t, False
            return out
        if state.down_at is None:
            return out
        down_at, held = state.down_at, state.held
        state.down_at, state.last_up = None, t
        if held or t - down_at < self.bounce:
            return out
        if t - down_at >= self.hold:  # the loop was late; a long press is still a hold
            return [*out, (button, "hold")]
        if not self.single_button:
            return [*out, (button, "press")]
        if state.pending_up is not None:
            state.pending_up = None
            return [*out, (button, "double")]
        state.pending_up = t
        return out

    def tick(self, now: float) -> list[Gesture]:
        """Holds that reached ``hold`` and single presses whose double window closed."""
        out: list[Gesture] = []
        for button, state in self.buttons.items():
            if state.down_at is not None and not state.held and now - state.down_at >= self.hold:
                state.held, state.pending_up = True, None
                out.append((button, "hold"))
            if state.pending_up is not None and now - state.pending_up >= self.double:
                state.pending_up = None
                out.append((button, "press"))
        return out

    def next_deadline(self) -> float | None:
        deadlines = []
        for state in self.buttons.values():
            if state.down_at is not None and not state.held:
                deadlines.append(state.down_at + self.hold)
            if state.pending_up is not None:
                deadlines.append(state.pending_up + self.double)
        return min(deadlines, default=None)
