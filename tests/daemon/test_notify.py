"""sd_notify datagrams, received on a real test socket."""

from __future__ import annotations

import os
import socket

import pytest

from device.daemon.notify import Notifier


@pytest.fixture
def manager(tmp_path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify"))
    sock.settimeout(5)
    yield sock, str(tmp_path / "notify")
    sock.close()


def received(sock) -> dict[str, str]:
    return dict(line.split("=", 1) for line in sock.recv(4096).decode().splitlines())


def test_ready_status_watchdog_stopping(manager):
    sock, path = manager
    notifier = Notifier({"NOTIFY_SOCKET": path})
    assert notifier.ready("idle · demo")
    assert received(sock) == {"READY": "1", "MAINPID": str(os.getpid()), "STATUS": "idle · demo"}
    notifier.status("running · demo · step 2/4")
    assert received(sock) == {"STATUS": "running · demo · step 2/4"}
    notifier.watchdog()
    assert received(sock) == {"WATCHDOG": "1"}
    notifier.stopping()
    assert received(sock) == {"STOPPING": "1"}


def test_abstract_socket_names_work():
    name = f"massage-timer-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(b"\0" + name.encode())
        sock.settimeout(5)
        assert Notifier({"NOTIFY_SOCKET": "@" + name}).watchdog()
        assert sock.recv(100) == b"WATCHDOG=1"


def test_silent_without_notify_socket():
    notifier = Notifier({})
    assert not notifier.enabled
    assert notifier.ready() is False
    assert notifier.watchdog_interval is None


def test_unreachable_manager_is_logged_once(tmp_path, caplog):
    notifier = Notifier({"NOTIFY_SOCKET": str(tmp_path / "nobody")})
    assert notifier.status("a") is False
    assert notifier.status("b") is False
    assert caplog.text.count("cannot notify systemd") == 1


@pytest.mark.parametrize(
    ("env", "interval"),
    [
        ({"WATCHDOG_USEC": "20000000"}, 10.0),
        ({"WATCHDOG_USEC": "20000000", "WATCHDOG_PID": str(os.getpid())}, 10.0),
        ({"WATCHDOG_USEC": "20000000", "WATCHDOG_PID": "1"}, None),
        ({"WATCHDOG_USEC": "nonsense"}, None),
        ({}, None),
    ],
)
def test_watchdog_interval_is_half_of_watchdog_usec(env, interval):
    assert Notifier(env).watchdog_interval == interval


def test_the_loop_pings_the_watchdog_at_half_the_period(manager, build_rig):
    sock, path = manager
    rig = build_rig()
    rig.loop.notifier = Notifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "4000000"})
    rig.loop.watchdog_at = rig.clock.now()
    rig.step()
    assert received(sock) == {"WATCHDOG": "1"}
    assert rig.loop.deadline(rig.clock.now()) == pytest.approx(rig.clock.now() + 2.0)
    rig.run_for(2.0)
    assert received(sock) == {"WATCHDOG": "1"}
