"""The daemon as a process (sd_notify, ctl, live reload, SIGTERM), demo, history, ctl errors."""

from __future__ import annotations

import argparse
import io
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from device.cli.daemon import _script_demo, run_daemon
from device.cli.main import main
from device.clock import FakeClock
from device.config.schema import Config
from device.daemon.control import request
from device.daemon.simulate import virtual_wait
from device.daemon.state import RESUME_FILE, StateStore
from tests.daemon_helpers import routines_dir


class Daemon:
    """``massage-timer run --simulate --headless --events -`` with a test NOTIFY_SOCKET.

    It inherits the test's environment (conftest.machine): its config, cache, state
    and socket are all in the test's own HOME.
    """

    def __init__(self, tmp_path, machine) -> None:
        self.folder = routines_dir(tmp_path)
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(str(tmp_path / "notify"))
        self.notify.settimeout(20)
        env = os.environ | {"NOTIFY_SOCKET": str(tmp_path / "notify"), "WATCHDOG_USEC": "1000000"}
        self.socket = machine["XDG_RUNTIME_DIR"] / "massage-timer" / "control.sock"
        self.state = machine["XDG_STATE_HOME"] / "massage-timer"
        command = [sys.executable, "-m", "device", "--routines", str(self.folder), "run"]
        command += ["--simulate", "--headless", "--events", "-"]
        self.process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
        self.events: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout
        for line in self.process.stdout:
            if line.startswith("{"):
                self.events.put(json.loads(line))

    def notified(self, key: str) -> dict[str, str]:
        """The next sd_notify message that sets ``key`` (waits up to 20 s, never sleeps)."""
        while True:
            message = dict(
                line.split("=", 1) for line in self.notify.recv(4096).decode().splitlines()
            )
            if key in message:
                return message

    def event(self, kind: str, **match) -> dict:
        while True:
            event = self.events.get(timeout=20)
            if event["event"] == kind and all(event.get(k) == v for k, v in match.items()):
                return event

    def ctl(self, cmd: str, **fields) -> dict:
        return request(self.socket, {"cmd": cmd, **fields})

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)
        self.notify.close()


@pytest.fixture
def daemon(tmp_path, machine):
    daemon = Daemon(tmp_path, machine)
    try:
        yield daemon
    finally:
        daemon.close()


def test_the_daemon_notifies_obeys_reloads_and_stops_cleanly_on_sigterm(daemon):
    ready = daemon.notified("READY")
    assert ready["READY"] == "1" and ready["MAINPID"] == str(daemon.process.pid)
    assert daemon.notified("WATCHDOG") == {"WATCHDOG": "1"}
    assert daemon.ctl("start", name="demo")["status"]["state"] == "waiting"
    assert daemon.ctl("press", button="play")["ok"]
    assert daemon.event("button", button="play", gesture="press")
    assert daemon.event("step", index=1)
    assert daemon.ctl("status")["status"]["step"] == 2

    (daemon.folder / "demo.toml").write_text("title = [\n")  # a broken save mid-routine
    reload = daemon.event("reload")
    assert any(":1: TOML syntax error" in p for p in reload["problems"])
    status = daemon.ctl("status")["status"]
    assert (status["state"], status["warnings"]) == ("running", 1)

    daemon.process.send_signal(signal.SIGTERM)
    assert daemon.notified("STOPPING") == {"STOPPING": "1"}
    assert daemon.process.wait(10) == 0
    assert not daemon.socket.exists()
    saved = json.loads((daemon.state / RESUME_FILE).read_text())
    assert (saved["routine"], saved["step"]) == ("demo", 1)


def test_the_daemon_process_lives_in_the_tests_own_folders(daemon, machine):
    """Read from the live process: its HOME, XDG and system folders are this test's."""
    daemon.notified("READY")
    raw = Path(f"/proc/{daemon.process.pid}/environ").read_bytes().decode()
    environ = dict(entry.split("=", 1) for entry in raw.split("\0") if "=" in entry)
    assert {name: environ.get(name) for name in machine} == {
        name: str(folder) for name, folder in machine.items()
    }
    assert all(folder.is_relative_to(machine["HOME"]) for folder in machine.values())
    assert daemon.socket.is_socket()


def test_sigint_stops_it_too(daemon):
    daemon.notified("READY")
    daemon.process.send_signal(signal.SIGINT)
    assert daemon.process.wait(10) == 0


def demo_args() -> argparse.Namespace:
    return argparse.Namespace(
        simulate=True,
        headless=True,
        events=None,
        demo=True,
        no_window=True,
        terminal=True,
        routines=None,
    )


def test_demo_runs_the_bundled_routine_to_the_end_by_itself():
    """The real demo script and loop, in virtual time: a 65 s run takes a moment."""
    config = Config().replaced(audio={"enabled": False})
    clock = FakeClock(0.0)
    out = io.StringIO()
    with redirect_stdout(out):
        code = run_daemon(config, demo_args(), clock, _script_demo, virtual_wait(clock))
    text = out.getvalue()
    assert code == 0
    for step in ("1: Apply oil", "2: Cheek sweeps", "3: Forehead strokes", "4: Jaw hold"):
        assert step in text
    assert "That was the demo" in text
    assert 60 + 2 <= clock.now() <= 75  # the press came about 2 s into the wait step


def test_ctl_without_a_daemon_says_so(tmp_path, capsys):
    code = main(["ctl", "status", "--socket", str(tmp_path / "none.sock")])
    assert code == 1
    assert "the daemon is not running" in capsys.readouterr().err


def test_ctl_press_needs_a_button(tmp_path, capsys):
    assert main(["ctl", "press", "--socket", str(tmp_path / "x.sock")]) == 1
    assert "press needs a button" in capsys.readouterr().err


def test_history_lists_sessions(machine, capsys):
    store = StateStore(machine["XDG_STATE_HOME"] / "massage-timer")
    store.record("demo", 1_700_000_000.0, 65.0, True)
    store.record("jawline-and-chin", 1_700_000_500.0, 30.0, False)
    assert main(["history"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "demo" in lines[0] and "1:05" in lines[0] and "completed" in lines[0]
    assert "jawline-and-chin" in lines[1] and "stopped" in lines[1]
