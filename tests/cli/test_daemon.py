"""The daemon as a process (sd_notify, ctl, live reload, SIGTERM), demo, history, ctl errors."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import signal
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from device.cli.daemon import _script_demo, run_daemon
from device.cli.main import main
from device.clock import FakeClock
from device.config.schema import Config
from device.daemon.simulate import virtual_wait
from device.daemon.state import RESUME_FILE, StateStore
from tests.daemon_helpers import DaemonProcess, routines_dir


@pytest.fixture
def daemon(tmp_path):
    """The daemon in this test's own HOME (conftest.machine), headless, watchdog on."""
    env = {**os.environ, "WATCHDOG_USEC": "1000000"}
    daemon = DaemonProcess(routines_dir(tmp_path), tmp_path / "notify", env, "--headless")
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


# Tables in /proc/PID/net of the sockets of each family, and the field with the inode.
INET_TABLES = dict.fromkeys(("tcp", "tcp6", "udp", "udp6", "udplite", "udplite6", "raw", "raw6"), 9)
LOCAL_TABLES = {"unix": 6, "netlink": 9, "packet": 8}


def open_sockets(pid: int) -> dict[str, set[int]]:
    """The inodes of the process's open sockets, by the table that lists each (as ss -p).
    A socket opened or closed while the tables are read (a ctl connection) is left out."""
    mine = _socket_inodes(pid)
    found = {"unknown": set(mine)}
    for table, field in (INET_TABLES | LOCAL_TABLES).items():
        path = Path(f"/proc/{pid}/net/{table}")
        rows = path.read_text().splitlines()[1:] if path.exists() else []
        listed = {int(row.split()[field]) for row in rows if len(row.split()) > field}
        found[table] = mine & listed
        found["unknown"] -= listed
    return {table: inodes & _socket_inodes(pid) for table, inodes in found.items()}


def _socket_inodes(pid: int) -> set[int]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(FileNotFoundError):  # closed meanwhile
            link = os.readlink(fd)
            if link.startswith("socket:["):
                inodes.add(int(link[8:-1]))
    return inodes


def test_the_live_daemon_has_no_network_socket(daemon):
    """Read from the running process, not its source: every socket it holds is local."""
    daemon.notified("READY")
    assert daemon.ctl("start", name="demo")["ok"]  # the speaker and the screen are up
    sockets = open_sockets(daemon.process.pid)
    assert {table: sockets[table] for table in INET_TABLES if sockets[table]} == {}
    assert sockets["unknown"] == set()  # no other family (bluetooth, AF_ALG, …) either
    control = [
        row.split()
        for row in Path(f"/proc/{daemon.process.pid}/net/unix").read_text().splitlines()
        if row.endswith(f" {daemon.socket}")
    ]
    assert {int(row[6]) for row in control} <= sockets["unix"] != set()  # it sees its own


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
