"""The daemon harness, shared by the tests and the benchmark: the machine's folders moved
into one of ours, a routines folder, a loop on a FakeClock, and the daemon as a process."""

from __future__ import annotations

import json
import queue
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from gpiozero.pins.mock import MockFactory

from device.clock import FakeClock
from device.config.paths import BUNDLED_ROUTINES, SYSTEM_CONFIG_DIR, SYSTEM_RUNTIME_DIR
from device.config.schema import Config
from device.core.outputs import RecordingOutput
from device.daemon.control import EventLog, request
from device.daemon.loop import Loop
from device.daemon.state import StateStore
from device.daemon.wiring import build_loop

PINS = {"play": 17, "next": 27, "repeat": 22}
WALL_START = 1_700_000_000.0  # the wall clock (time.time()) when the FakeClock reads 0


def machine_folders(home: Path) -> dict[str, Path]:
    """The environment that moves every folder of the machine's under ``home``."""
    return {
        "HOME": home,
        "XDG_CONFIG_HOME": home / ".config",
        "XDG_CACHE_HOME": home / ".cache",
        "XDG_STATE_HOME": home / ".local" / "state",
        "XDG_DATA_HOME": home / ".local" / "share",
        "XDG_RUNTIME_DIR": home / "run",
        SYSTEM_CONFIG_DIR: home / "etc" / "massage-timer",
        SYSTEM_RUNTIME_DIR: home / "run" / "system",
    }


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
    loop = build_loop(
        config,
        folder,
        clock,
        [output],
        store=state if store else None,
        events=EventLog(events),
        factory=factory,
    )
    return Rig(loop, clock, output, factory, config, folder)


class DaemonProcess:
    """``massage-timer run --simulate --events -`` as a child process, with an sd_notify
    socket of its own; the events it prints are read in a thread, each with when it came.

    Its folders (config, cache, state, control socket) come from ``env``: a test passes
    its own isolated environment (conftest.machine), the benchmark its work folder's.
    """

    def __init__(
        self, routines: Path, notify: Path, env: Mapping[str, str], *options: str, quiet=False
    ) -> None:
        """``options`` go after ``run`` (``--headless``); ``quiet`` drops the daemon's log."""
        self.folder, self.notify_path = routines, notify
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(str(notify))
        self.notify.settimeout(20)
        self.socket = Path(env["XDG_RUNTIME_DIR"]) / "massage-timer" / "control.sock"
        self.state = Path(env["XDG_STATE_HOME"]) / "massage-timer"
        command = [sys.executable, "-m", "device", "--routines", str(routines), "run"]
        command += ["--simulate", "--events", "-", *options]
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            command,
            env={**env, "NOTIFY_SOCKET": str(notify)},
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL if quiet else None,
            text=True,
        )
        self.events: queue.Queue[tuple[float, dict]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout
        for line in self.process.stdout:
            if line.startswith("{"):
                self.events.put((time.monotonic(), json.loads(line)))

    def notified(self, key: str) -> dict[str, str]:
        """The next sd_notify message that sets ``key`` (waits up to 20 s, never sleeps)."""
        while True:
            message = dict(
                line.split("=", 1) for line in self.notify.recv(4096).decode().splitlines()
            )
            if key in message:
                return message

    def seen(self, kind: str, **match) -> tuple[float, dict]:
        """The next event of ``kind`` with ``match``ing fields, and when it came (20 s max)."""
        while True:
            when, event = self.events.get(timeout=20)
            if event["event"] == kind and all(event.get(k) == v for k, v in match.items()):
                return when, event

    def event(self, kind: str, **match) -> dict:
        return self.seen(kind, **match)[1]

    def forget_events(self) -> None:
        while not self.events.empty():
            self.events.get()

    def ctl(self, cmd: str, **fields) -> dict:
        return request(self.socket, {"cmd": cmd, **fields})

    def stop(self) -> int:
        """SIGTERM, as systemd stops it; its exit status."""
        self.process.terminate()
        return self.process.wait(10)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)
        self.notify.close()
        self.notify_path.unlink(missing_ok=True)
