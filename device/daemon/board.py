"""Buttons, pedal, PIR and status LED through gpiozero.

gpiozero callbacks only put an ``Edge`` or ``Motion`` on the loop's queue;
``device.core.gestures`` turns edges into gestures on the loop thread. We use
``DigitalInputDevice`` (``Button`` minus its hold thread, which wakes ten times a
second even when nobody touches anything).
"""

from __future__ import annotations

import functools
import logging
import warnings
from collections.abc import Callable
from typing import Any, Protocol

from device.clock import Clock
from device.config.schema import Config
from device.daemon.inbox import Edge, Event, Motion

log = logging.getLogger(__name__)
MAX_HOLD = 30.0  # seconds a simulated press may last


class MockPins(Protocol):
    """gpiozero's MockFactory, as far as a simulated press uses it."""

    def pin(self, spec: int) -> Any: ...


class Board:
    """The GPIO devices the config asks for; every callback just calls ``emit``.
    In simulation ``factory`` is the MockFactory whose pins ``press`` drives."""

    def __init__(
        self,
        config: Config,
        emit: Callable[[Event], None],
        clock: Clock,
        factory: MockPins | None = None,
    ) -> None:
        self.config = config
        self.emit = emit
        self.clock = clock
        self.factory = factory
        self.pins: dict[str, int] = {}
        self.devices: dict[str, Any] = {}  # gpiozero devices, by what they are for
        self.led: Any = None
        self._breathes = False  # a PWMLED can pulse; a plain LED blinks instead
        self._led_mode = ""
        self.problems: dict[str, str] = {}  # what could not be opened, and why

    def start(self) -> None:
        """Open each device on its own: one that fails is named in the log, the rest work.
        With no GPIO at all (a laptop), one line says so and the daemon runs on without."""
        try:
            from gpiozero import DigitalInputDevice  # optional on a laptop
        except ImportError as error:
            log.warning("buttons disabled: %s", error)
            self.problems["buttons"] = str(error)
            return
        wanted = self._wanted(DigitalInputDevice)
        failed: dict[str, Exception] = {}
        with warnings.catch_warnings(record=True) as fallbacks:  # one line below is enough
            warnings.simplefilter("always")
            for what, pin, open_device in wanted:
                try:
                    open_device()
                except Exception as error:  # no GPIO, no permission, a pin already in use
                    failed[f"{what} (GPIO{pin})"] = error
        reasons = {str(reason) for reason in failed.values()}
        if len(failed) == len(wanted) and len(reasons) == 1:  # nothing opened, for one reason
            # gpiozero's first fallback says why lgpio, the factory a Pi uses, did not load
            first = f" ({fallbacks[0].message})" if fallbacks else ""
            self.problems["buttons"] = reasons.pop() + first
            log.warning("buttons disabled: %s", self.problems["buttons"])
            return
        for what, reason in failed.items():
            log.warning("%s unavailable; the others work: %s", what, reason)
            self.problems[what] = str(reason)

    def _wanted(self, kind) -> list[tuple[str, int, Callable[[], None]]]:
        """Each device the config asks for: what to call it, its pin, how to open it."""
        config = self.config
        wanted: list[tuple[str, int, Callable[[], None]]] = [
            (f"button '{name}'", pin, functools.partial(self._input, kind, name, pin))
            for name, pin in config.buttons.in_use().items()
        ]
        if config.motion.enabled:
            opener = functools.partial(self._motion, kind, config.motion.pin)
            wanted.append(("motion sensor", config.motion.pin, opener))
        if config.led.enabled:
            wanted.append(("status LED", config.led.pin, self._led))
        return wanted

    def _input(self, kind, name: str, pin: int) -> None:
        bounce = self.config.buttons.bounce or None
        device = kind(pin, pull_up=True, bounce_time=bounce)
        device.when_activated = lambda: self.emit(Edge(name, True, self.clock.now()))
        device.when_deactivated = lambda: self.emit(Edge(name, False, self.clock.now()))
        self.devices[name], self.pins[name] = device, pin

    def _motion(self, kind, pin: int) -> None:
        device = kind(pin, pull_up=False)  # a PIR drives its output high on motion
        device.when_activated = lambda: self.emit(Motion(True, self.clock.now()))
        device.when_deactivated = lambda: self.emit(Motion(False, self.clock.now()))
        self.devices["motion"], self.pins["motion"] = device, pin

    def _led(self) -> None:
        self.led, self._breathes = _open_led(self.config.led.pin)

    def show_state(self, state: str) -> None:
        """LED: steady while running, breathing while paused or waiting, off when idle."""
        mode = {"running": "on", "paused": "pulse", "waiting": "pulse"}.get(state, "off")
        if self.led is None or mode == self._led_mode:
            return
        self._led_mode = mode
        try:
            if mode == "on":
                self.led.on()
            elif mode == "pulse":
                self.led.pulse() if self._breathes else self.led.blink(0.5, 0.5)
            else:
                self.led.off()
        except Exception as error:  # a broken LED must not stop the loop
            log.warning("status LED: %s", error)
            self.led = None

    def close(self) -> None:
        for device in [*self.devices.values(), self.led]:
            if device is not None:
                device.close()
        self.devices.clear()
        self.led = None

    def press(self, button: str, pressed: bool) -> None:
        """Simulation: press or release ``button`` on its mock pin."""
        if self.factory is None:
            raise RuntimeError("only simulated buttons can be pressed")
        press_pin(self.factory, self.pins[button], pressed)


def _open_led(pin: int) -> tuple[Any, bool]:
    """The LED and whether it can breathe (PWM)."""
    from gpiozero import LED, PWMLED

    try:
        return PWMLED(pin), True
    except Exception:  # no PWM on this pin factory: blink instead of breathe
        return LED(pin), False


def press_pin(factory: MockPins, pin: int, pressed: bool) -> None:
    """Simulation: drive a MockFactory pin as a button to ground would (low = pressed)."""
    mock = factory.pin(pin)
    if pressed:
        mock.drive_low()
    else:
        mock.drive_high()
