"""Shared set-up for the daemon tests: mock pins, a routines folder, a loop on a FakeClock."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from gpiozero.pins.mock import MockFactory

from device.clock import FakeClock
from device.config.paths import BUNDLED_ROUTINES
from device.config.schema import Config
from device.core.outputs import RecordingOutput
from device.daemon.control import EventLog
from device.daemon.loop import Loop
from device.daemon.state import StateStore
from device.daemon.wiring import build_loop

PINS = {"play": 17, "next": 27, "repeat": 22}
WALL_START = 1_700_000_000.0  # the wall clock (time.time()) when the FakeClock reads 0


def routines_dir(tmp_path: Path, *names: str) -> Path:
    """A routines folder holding copies of bundled routines (default: demo and jaw)."""
    folder = tmp_path / "routines"
    folder.mkdir(exist_ok=True)
    for name in names or ("demo", "jawline-and-chin"):
        shutil.copy(BUNDLED_ROUTINES / f"{name}.toml", folder / f"{name}.toml")
    return folder


@dataclass
class Rig:
    """A real loop with real mock pins, a FakeClock and a RecordingOutput."""

    loop: Loop
    clock: FakeClock
    output: RecordingOutput
    factory: MockFactory
    config: Config
    folder: Path

    def step(self, seconds: float = 0.0) -> None:
        """Let ``seconds`` of fake time pass, then run the loop once (never sleeps)."""
        self.clock.advance(seconds)
        self.loop.run_once(timeout=0)

    def run_for(self, seconds: float) -> None:
        """Step through every deadline in the next ``seconds`` of fake time."""
        end = self.clock.now() + seconds
        while True:
            deadline = self.loop.deadline(self.clock.now())
            if deadline is None or deadline > end:
                break
            self.clock.current = max(self.clock.current, deadline)
            self.loop.run_once(timeout=0)
        self.clock.current = end
        self.loop.run_once(timeout=0)

    def pin(self, button: str) -> int:
        return self.config.buttons.pins()[button]

    def down(self, button: str) -> None:
        self.factory.pin(self.pin(button)).drive_low()
        self.step()

    def up(self, button: str) -> None:
        self.factory.pin(self.pin(button)).drive_high()
        self.step()

    def press(self, button: str, length: float = 0.2) -> None:
        self.clock.advance(0.1)  # fingers need a moment between presses (else: bounce)
        self.down(button)
        self.clock.advance(length)
        self.up(button)

    def hold(self, button: str, length: float = 1.5) -> None:
        self.clock.advance(0.1)
        self.down(button)
        self.step(length)
        self.up(button)

    @property
    def state(self) -> str:
        return self.loop.tracker.state(self.loop.controller)

    def close(self) -> None:
        self.loop.board.close()


def make_rig(
    factory, tmp_path: Path, store: bool = True, events=None, output=None, **sections
) -> Rig:
    """Build the loop as the daemon does (wiring.build_loop), with config ``sections``
    overlaid on the defaults; the state's wall clock moves with the FakeClock."""
    config = Config().replaced(routines={"selected": "demo"}).replaced(**sections)
    folder = tmp_path / "routines"
    if not folder.exists():
        routines_dir(tmp_path)
    clock = FakeClock()
    output = output or RecordingOutput()
    state = StateStore(tmp_path / "state", wall=lambda: WALL_START + clock.now())
    parts = {"store": state if store else None, "events": EventLog(events), "factory": factory}
    loop = build_loop(config, folder, clock, [output], **parts)
    return Rig(loop, clock, output, factory, config, folder)
