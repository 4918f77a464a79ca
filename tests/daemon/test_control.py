"""The control socket: permissions, the line protocol, and every ctl command on the real loop."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from device.cli.main import main
from device.clock import MonotonicClock
from device.daemon.control import check_request, request, socket_path, submitter
from device.daemon.control_server import ControlServer
from device.daemon.inbox import Stop
from device.exc import MassageTimerError
from tests.daemon_helpers import Rig


@contextlib.contextmanager
def serving(rig: Rig, path: Path) -> Iterator[ControlServer]:
    """The rig's loop in a thread with a real control server in front; both stopped after."""
    server = ControlServer(path, submitter(rig.loop.post))
    server.start()
    thread = threading.Thread(target=rig.loop.run, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        rig.loop.post(Stop())
        thread.join(5)
        server.stop()


@pytest.fixture
def daemon(rig, tmp_path):
    """A rig whose loop runs in a thread, with a real control server in front of it."""
    with serving(rig, tmp_path / "run" / "control.sock") as server:
        yield rig, server.path


def ctl(path, cmd: str, **fields) -> dict:
    return request(path, {"cmd": cmd, **fields})


def test_socket_is_owner_and_group_only(daemon):
    _, path = daemon
    assert stat.S_ISSOCK(path.stat().st_mode)
    assert stat.S_IMODE(path.stat().st_mode) == 0o660
    assert stat.S_IMODE(path.parent.stat().st_mode) & 0o007 == 0


def test_every_command(daemon):
    rig, path = daemon
    assert ctl(path, "status")["status"]["state"] == "idle"
    assert ctl(path, "select", name="jawline-and-chin")["status"]["selected"] == "jawline-and-chin"
    assert ctl(path, "start", name="demo")["status"]["state"] == "waiting"
    assert ctl(path, "next")["status"]["step"] == 2
    assert ctl(path, "pause")["status"]["state"] == "paused"
    assert ctl(path, "resume")["status"]["state"] == "running"
    assert ctl(path, "next")["status"]["step"] == 3
    assert ctl(path, "prev")["status"]["step"] == 2
    said = len(rig.output.said)
    assert ctl(path, "repeat")["ok"]
    assert ctl(path, "status")["ok"] and len(rig.output.said) == said + 1
    assert ctl(path, "stop")["status"]["state"] == "idle"
    assert ctl(path, "start")["status"]["routine"] == "demo"  # the selected one
    reload = ctl(path, "reload")
    assert reload["routines"] == ["demo", "jawline-and-chin"] and reload["problems"] == []


def test_start_while_a_routine_runs_changes_nothing(daemon, capsys):
    """The controller's rule through the socket: start neither begins a running routine
    again nor abandons it for another; a paused one resumes."""
    rig, path = daemon
    ctl(path, "start", name="demo")
    assert ctl(path, "next")["status"]["step"] == 2
    said = len(rig.output.said)
    for name in ({}, {"name": "demo"}):
        reply = ctl(path, "start", **name)
        assert reply["note"] == "demo is already running"
        assert (reply["status"]["step"], reply["status"]["state"]) == (2, "running")
    assert main(["ctl", "start", "--socket", str(path)]) == 0
    assert capsys.readouterr().out == "demo is already running\n"
    assert len(rig.output.said) == said  # no intro, no first step spoken again
    assert ctl(path, "start", name="jawline-and-chin") == {
        "ok": False,
        "error": "demo is running; `ctl stop` it to start jawline-and-chin",
    }
    assert ctl(path, "status")["status"]["routine"] == "demo"
    assert ctl(path, "pause")["status"]["state"] == "paused"
    assert ctl(path, "start")["status"]["state"] == "running"
    assert "no routine named 'nope'" in ctl(path, "start", name="nope")["error"]
    assert not rig.loop.tracker.stopped  # nothing ended early: it may still complete


def test_errors_are_answers_not_crashes(daemon):
    _, path = daemon
    assert "no routine named 'nope'" in ctl(path, "start", name="nope")["error"]
    assert "unknown command" in ctl(path, "dance")["error"]
    assert "unexpected field" in ctl(path, "pause", name="x")["error"]
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(str(path))
        sock.sendall(b"{not json\n" + json.dumps({"cmd": "status"}).encode() + b"\n")
        with sock.makefile("rb") as stream:
            assert json.loads(stream.readline())["ok"] is False
            assert json.loads(stream.readline())["ok"] is True  # the connection survives


def test_press_drives_the_mock_pin_through_the_real_button_path(build_rig, tmp_path):
    """Real time here (gpiozero and holds need it): wait on Events with a timeout, never sleep."""
    rig = build_rig(buttons={"hold": 0.3})
    rig.loop.clock = MonotonicClock()
    rig.loop.board.clock = rig.loop.clock
    seen: list[str] = []
    gestures = {"press": threading.Event(), "hold": threading.Event()}

    def listen(event: str, now: float, **fields) -> None:
        if event == "button":
            seen.append(f"{fields['button']} {fields['gesture']}")
            gestures[fields["gesture"]].set()

    rig.loop.events.log = listen
    with serving(rig, tmp_path / "control.sock") as server:
        assert ctl(server.path, "press", button="PLAY")["ok"]
        assert gestures["press"].wait(5)
        assert ctl(server.path, "press", button="Next", hold=0.5)["seconds"] == 0.5
        assert gestures["hold"].wait(5)
        assert seen == ["play press", "next hold"]
        assert "no button 'pedal'" in ctl(server.path, "press", button="pedal")["error"]


def test_press_is_refused_outside_simulation(daemon):
    rig, path = daemon
    rig.loop.board.factory = None
    assert "only with `run --simulate`" in ctl(path, "press", button="play")["error"]


def test_a_stale_socket_is_replaced_and_removed_on_stop(tmp_path):
    path = tmp_path / "control.sock"
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(path))
    stale.close()
    server = ControlServer(path, lambda request: {"ok": True, "echo": request["cmd"]})
    server.start()
    assert request(path, {"cmd": "status"}) == {"ok": True, "echo": "status"}
    server.stop()
    assert not path.exists()


def test_no_daemon_is_a_clear_oserror(tmp_path):
    with pytest.raises(FileNotFoundError):
        request(tmp_path / "none.sock", {"cmd": "status"})


def test_socket_path_prefers_config_then_systemd_then_user(monkeypatch, tmp_path):
    assert socket_path("/x/y.sock") == tmp_path.root / type(tmp_path)("x/y.sock")
    monkeypatch.setenv("RUNTIME_DIRECTORY", str(tmp_path / "rt"))
    assert socket_path() == tmp_path / "rt" / "control.sock"
    monkeypatch.delenv("RUNTIME_DIRECTORY")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    assert socket_path() == tmp_path / "massage-timer" / "control.sock"


def test_check_request_validates_shape():
    assert check_request({"cmd": "press", "button": "play", "hold": 1}) == {
        "cmd": "press",
        "button": "play",
        "hold": 1,
    }
    for bad in ([], {"cmd": 3}, {"nope": 1}):
        with pytest.raises(ValueError):
            check_request(bad)


def test_check_request_checks_field_types():
    good = [
        {"cmd": "start", "name": "demo"},
        {"cmd": "press", "button": "play", "hold": 0},
        {"cmd": "press", "button": "play", "hold": 2.5},
    ]
    for request_ in good:
        assert check_request(request_) == request_
    bad = [
        {"cmd": "start", "name": ["x"]},
        {"cmd": "select", "name": 3},
        {"cmd": "press", "button": None},
        *({"cmd": "press", "button": "play", "hold": h} for h in ("1", True, -1, 31)),
        *({"cmd": "press", "button": "play", "hold": float(h)} for h in ("inf", "-inf", "nan")),
    ]
    for request_ in bad:
        with pytest.raises(ValueError, match="must be"):
            check_request(request_)


def test_impossible_holds_are_refused_and_the_daemon_lives_on(daemon):
    _, path = daemon
    for hold in ("inf", "nan"):  # what `ctl press play --hold inf` sends (JSON allows these)
        assert "hold" in ctl(path, "press", button="play", hold=float(hold))["error"]
    assert ctl(path, "status")["ok"]  # answered at once: the loop thread is still alive


def test_the_umask_is_left_alone(tmp_path, monkeypatch):
    calls: list[int] = []
    real = os.umask
    monkeypatch.setattr(os, "umask", lambda mask: calls.append(mask) or real(mask))
    server = ControlServer(tmp_path / "run" / "control.sock", lambda r: {"ok": True})
    server.start()
    try:
        assert stat.S_IMODE(server.path.stat().st_mode) == 0o660
    finally:
        server.stop()
    assert calls == []  # process-wide: another thread may be creating files meanwhile


def test_the_tmp_fallback_folder_is_private(tmp_path):
    folder = tmp_path / f"massage-timer-{os.getuid()}"
    server = ControlServer(folder / "control.sock", lambda r: {"ok": True})
    server.start()
    server.stop()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    folder.chmod(0o755)
    with pytest.raises(MassageTimerError, match="open to group or others"):
        ControlServer(folder / "control.sock", lambda r: {"ok": True}).start()


def test_a_tmp_fallback_folder_of_someone_else_is_refused(tmp_path, monkeypatch):
    other = os.getuid() + 1
    monkeypatch.setattr(os, "getuid", lambda: other)  # as if another user made it first
    folder = tmp_path / f"massage-timer-{other}"
    folder.mkdir(mode=0o700)
    with pytest.raises(MassageTimerError, match="not a folder of this user"):
        ControlServer(folder / "control.sock", lambda r: {"ok": True}).start()


def test_a_tmp_fallback_that_is_a_symlink_is_refused(tmp_path):
    """Someone could plant /tmp/massage-timer-UID as a link to a folder they can read."""
    target = tmp_path / "planted"
    target.mkdir(mode=0o700)
    link = tmp_path / f"massage-timer-{os.getuid()}"
    link.symlink_to(target)
    with pytest.raises(MassageTimerError, match="not a folder of this user"):
        ControlServer(link / "control.sock", lambda r: {"ok": True}).start()
