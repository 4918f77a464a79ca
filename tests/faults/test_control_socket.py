"""The control socket under faults: no file descriptors left, a crowd of clients, oversized
requests, clients that hang up, folders others can write to, and a server that died."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import resource
import socket
import threading
from pathlib import Path

import pytest

from device.daemon.control import MAX_LINE, request
from device.daemon.control_server import ControlServer
from device.daemon.notify import Notifier
from device.exc import MassageTimerError


class Recorder:
    """A submit function that answers at once and remembers every request it got."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.hold = threading.Event()
        self.hold.set()

    def __call__(self, message: dict) -> dict:
        self.hold.wait(5)
        self.requests.append(message)
        return {"ok": True, "cmd": message["cmd"]}


@pytest.fixture
def served(tmp_path):
    recorder = Recorder()
    server = ControlServer(tmp_path / "run" / "control.sock", recorder)
    server.start()
    try:
        yield server, recorder
    finally:
        recorder.hold.set()
        server.stop()


@contextlib.contextmanager
def open_files_limit(extra: int):
    """The soft RLIMIT_NOFILE set to what is open now plus ``extra``; restored after."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (len(os.listdir("/proc/self/fd")) + extra, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def connect(path: Path) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(str(path))
    return sock


def test_running_out_of_file_descriptors_is_logged_and_recovered(served, caplog):
    """Before: the accept thread ended on EMFILE and `ctl` never got an answer again."""
    server, _ = served
    clients: list[socket.socket] = []
    with caplog.at_level(logging.WARNING), open_files_limit(40):
        with contextlib.suppress(OSError):
            while len(clients) < 60:  # the clients take half the slots, the server the rest
                clients.append(connect(server.path))
        for _ in range(20):  # (other threads of the suite may free or take one meanwhile)
            clients.pop(0).close()  # one descriptor free: the client gets it, the server cannot
            with contextlib.suppress(OSError):
                clients.append(connect(server.path))
            if server.accept_failures.wait(0.5):
                break
        assert server.accept_failures.is_set(), "the server never ran out of descriptors"
        for client in clients:
            client.close()
    assert "cannot accept" in caplog.text and "Too many open files" in caplog.text
    assert request(server.path, {"cmd": "status"}, timeout=5)["ok"]
    assert server.healthy()
    assert "accepting control connections again" in caplog.text


def test_64_simultaneous_clients_are_all_answered(served):
    """Before: 5 of 16 and 38 of 64 got EAGAIN from a listen backlog of 8."""
    server, _ = served
    start = threading.Barrier(64)
    answers: list[object] = []

    def client() -> None:
        start.wait()
        try:
            answers.append(request(server.path, {"cmd": "status"}, timeout=10)["ok"])
        except OSError as error:
            answers.append(error)

    threads = [threading.Thread(target=client) for _ in range(64)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)
    assert answers == [True] * 64


def test_an_oversized_request_is_refused_whole(served):
    """Before: the part after byte 4,096 ran as a command of its own (a padded stop stopped)."""
    server, recorder = served
    padded = b" " * (MAX_LINE + 1) + b'{"cmd": "stop"}\n'
    with connect(server.path) as sock, sock.makefile("rwb") as stream:
        stream.write(padded + b'{"cmd": "status"}\n')
        stream.flush()
        assert json.loads(stream.readline()) == {"ok": False, "error": "request too long"}
        assert json.loads(stream.readline()) == {"ok": True, "cmd": "status"}
    assert recorder.requests == [{"cmd": "status"}]


def test_a_request_of_exactly_the_limit_is_served(served):
    server, _ = served
    line = json.dumps({"cmd": "status"}).encode()
    line = line[:-1] + b" " * (MAX_LINE - len(line) - 1) + b"}\n"
    assert len(line) == MAX_LINE
    with connect(server.path) as sock, sock.makefile("rwb") as stream:
        stream.write(line)
        stream.flush()
        assert json.loads(stream.readline())["ok"] is True


def test_a_client_that_hangs_up_leaves_no_traceback(served, caplog, capfd, monkeypatch):
    """Before: BrokenPipeError's traceback in the journal for every impatient client."""
    server, recorder = served
    uncaught: list[object] = []
    monkeypatch.setattr(threading, "excepthook", uncaught.append)
    recorder.hold.clear()
    for _ in range(3):
        with connect(server.path) as sock:
            sock.sendall(b'{"cmd": "status"}\n' * 100)
    recorder.hold.set()
    assert request(server.path, {"cmd": "status"})["ok"]  # served after the hung-up ones
    server.stop()  # waits for nothing, but lets the hung-up connections finish first
    assert uncaught == []
    assert "Traceback" not in capfd.readouterr().err
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_idle_connections_are_closed_so_they_cannot_pile_up(tmp_path):
    server = ControlServer(tmp_path / "control.sock", Recorder(), idle_timeout=0.2)
    server.start()
    try:
        with connect(server.path) as sock:
            sock.settimeout(5)
            assert sock.recv(10) == b""  # the server hung up on a client that said nothing
    finally:
        server.stop()


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o757])
def test_a_socket_folder_others_can_write_to_is_refused(tmp_path, mode):
    """Before: only the /tmp fallback was checked; a 0777 folder let anyone swap the socket."""
    folder = tmp_path / "run"
    folder.mkdir()
    folder.chmod(mode)
    with pytest.raises(MassageTimerError, match="writable by group or others"):
        ControlServer(folder / "control.sock", Recorder()).start()
    assert not (folder / "control.sock").exists()


def test_a_socket_folder_of_another_user_is_refused(tmp_path, monkeypatch):
    folder = tmp_path / "run"
    folder.mkdir(mode=0o750)
    other = os.getuid() + 1
    monkeypatch.setattr(os, "getuid", lambda: other)  # as if another user made it first
    with pytest.raises(MassageTimerError, match="not a folder of this user"):
        ControlServer(folder / "control.sock", Recorder()).start()


def test_a_socket_folder_that_is_a_symlink_is_refused(tmp_path):
    target = tmp_path / "elsewhere"
    target.mkdir(mode=0o750)
    (tmp_path / "run").symlink_to(target)
    with pytest.raises(MassageTimerError, match="not a folder of this user"):
        ControlServer(tmp_path / "run" / "control.sock", Recorder()).start()


def test_a_dead_server_is_logged_and_says_it_is_unhealthy(served, caplog, monkeypatch):
    server, _ = served
    assert server.healthy()

    def broken_accept(*args):
        raise MemoryError("no memory for the connection")

    monkeypatch.setattr(server.server, "get_request", broken_accept)
    with contextlib.suppress(OSError):
        connect(server.path).close()
    server.thread.join(5)
    assert not server.healthy()
    assert "control socket stopped" in caplog.text


@pytest.fixture
def manager(tmp_path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify"))
    sock.setblocking(False)
    yield sock, str(tmp_path / "notify")
    sock.close()


def pings(sock: socket.socket) -> int:
    count = 0
    with contextlib.suppress(BlockingIOError):
        while True:
            count += sock.recv(100) == b"WATCHDOG=1"
    return count


def test_the_watchdog_is_fed_only_while_the_control_server_lives(rig, manager):
    """Before: the loop fed the watchdog with the accept thread gone, so systemd never
    restarted a daemon nobody could control."""
    sock, path = manager
    alive = {"control": True}
    rig.loop.notifier = Notifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "4000000"})
    rig.loop.watchdog_at = rig.clock.now()
    rig.loop.health.append(lambda: alive["control"])
    rig.run_for(5.0)
    assert pings(sock) == 3  # at 0, 2 and 4 s
    alive["control"] = False
    rig.run_for(10.0)
    assert pings(sock) == 0
    alive["control"] = True
    rig.run_for(2.0)
    assert pings(sock) == 1
