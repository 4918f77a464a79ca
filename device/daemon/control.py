"""Watching and steering the daemon from outside: the event log and the control socket.

The socket speaks one JSON object per line each way, over a Unix socket only.

Request ``{"cmd": "start", "name": "evening"}``; reply ``{"ok": true, ...}`` or
``{"ok": false, "error": "..."}``. The server thread parses, hands the request
to the loop through ``submit`` and writes back what the loop answers. The
socket is owner and group only (0660) in a runtime folder of mode 0750
(0700, and checked, for the ``/tmp/massage-timer-UID`` fallback).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import socket
import stat
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from device.config.paths import system_runtime_folder
from device.daemon.simulate import MAX_HOLD
from device.exc import MassageTimerError

log = logging.getLogger(__name__)
SOCKET_NAME = "control.sock"
COMMANDS = {
    "status": (),
    "start": ("name",),
    "pause": (),
    "resume": (),
    "next": (),
    "prev": (),
    "stop": (),
    "repeat": (),
    "select": ("name",),
    "reload": (),
    "press": ("button", "hold"),
}
MAX_LINE = 4096
REPLY_TIMEOUT = 5.0

Submit = Callable[[dict], dict]


def socket_path(configured: str = "", for_client: bool = False) -> Path:
    """The configured path, else systemd's RuntimeDirectory, else the user's runtime folder."""
    if configured:
        return Path(configured)
    if os.environ.get("RUNTIME_DIRECTORY"):
        return Path(os.environ["RUNTIME_DIRECTORY"].split(":")[0]) / SOCKET_NAME
    user = Path(os.environ.get("XDG_RUNTIME_DIR") or f"/tmp/massage-timer-{os.getuid()}")
    if user.name != f"massage-timer-{os.getuid()}":
        user = user / "massage-timer"
    mine = user / SOCKET_NAME
    system = system_runtime_folder() / SOCKET_NAME
    if for_client and not mine.exists() and system.exists():
        return system  # over SSH: talk to the system service
    return mine


def check_request(request: object) -> dict:
    """The request, validated; ValueError with a message for the client otherwise."""
    if not isinstance(request, dict) or not isinstance(request.get("cmd"), str):
        raise ValueError('expected a JSON object with a "cmd"')
    if request["cmd"] not in COMMANDS:
        raise ValueError(f"unknown command '{request['cmd']}'; known: {', '.join(COMMANDS)}")
    extra = set(request) - {"cmd", *COMMANDS[request["cmd"]]}
    if extra:
        raise ValueError(f"unexpected field(s) for {request['cmd']}: {', '.join(sorted(extra))}")
    for key in ("name", "button"):
        if key in request and not isinstance(request[key], str):
            raise ValueError(f'"{key}" must be a string')
    hold = request.get("hold")
    if hold is not None and not (_is_number(hold) and 0 <= hold <= MAX_HOLD):
        raise ValueError(f'"hold" must be a number of seconds from 0 to {MAX_HOLD:g}')
    return request


def _is_number(value: object) -> bool:
    return type(value) in (int, float) and math.isfinite(value)  # JSON allows NaN, Infinity


def submitter(post: Callable[..., None], timeout: float = REPLY_TIMEOUT) -> Submit:
    """For the server's threads: ``post`` a request to the loop and wait for its answer."""

    def submit(request: dict) -> dict:
        answer: dict = {}
        done = threading.Event()

        def reply(result: dict) -> None:
            answer.update(result)
            done.set()

        post("ctl", request, reply)
        if not done.wait(timeout):
            return {"ok": False, "error": "the daemon did not answer in time"}
        return answer

    return submit


class ControlServer:
    """Accepts connections in one thread; each connection is served in its own thread."""

    def __init__(self, path: Path, submit: Submit) -> None:
        self.path = Path(path)
        self.submit = submit
        self.sock: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        _make_folder(self.path.parent)
        if self.path.is_socket() and not _alive(self.path):
            self.path.unlink()  # left behind by a crash
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        # No umask dance (the umask is process-wide, other threads create files): the
        # folder (0750 or 0700) already keeps others out until the chmod.
        sock.bind(str(self.path))
        os.chmod(self.path, 0o660)
        sock.listen(8)
        self.sock = sock
        self._thread = threading.Thread(target=self._accept, name="control", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self.sock is None:
            return
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        self.sock.close()
        if self._thread:
            self._thread.join(timeout=5)
        self.path.unlink(missing_ok=True)
        self.sock = None

    def _accept(self) -> None:
        assert self.sock is not None
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn, conn.makefile("rwb") as stream:
            while raw := stream.readline(MAX_LINE + 1):
                stream.write(json.dumps(self._answer(raw)).encode() + b"\n")
                stream.flush()

    def _answer(self, raw: bytes) -> dict:
        try:
            if len(raw) > MAX_LINE:
                raise ValueError("request too long")
            return self.submit(check_request(json.loads(raw)))
        except ValueError as error:
            return {"ok": False, "error": str(error)}
        except Exception as error:  # a bad request must never take the server down
            log.exception("control request failed")
            return {"ok": False, "error": f"internal error: {error}"}


def _make_folder(folder: Path) -> None:
    """The socket's folder; the shared-/tmp fallback must be ours alone (0700)."""
    if folder.name != f"massage-timer-{os.getuid()}":
        folder.mkdir(mode=0o750, parents=True, exist_ok=True)
        return
    with contextlib.suppress(FileExistsError):
        folder.mkdir(mode=0o700)
    found = os.lstat(folder)
    if not stat.S_ISDIR(found.st_mode) or found.st_uid != os.getuid():
        raise MassageTimerError(f"{folder} is not a folder of this user; remove it or set a socket")
    if found.st_mode & 0o077:
        raise MassageTimerError(f"{folder} is open to group or others; chmod 700 it")


def _alive(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(str(path))
            return True
        except OSError:
            return False


def request(path: Path, message: dict, timeout: float = REPLY_TIMEOUT + 1) -> dict:
    """Send one request to the daemon and return its reply; OSError if it is not running."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(str(path))
        sock.sendall(json.dumps(message).encode() + b"\n")
        with sock.makefile("rb") as stream:
            line = stream.readline()
    if not line:
        raise ConnectionError(f"{path}: the daemon closed the connection")
    return json.loads(line)


class EventLog:
    """``--events PATH|-``: one JSON line per event, each with the loop's monotonic ``t``."""

    def __init__(self, stream) -> None:
        self.stream = stream

    @classmethod
    def open(cls, target: str | None) -> EventLog:
        if not target:
            return cls(None)
        if target == "-":
            return cls(sys.stdout)
        return cls(open(target, "a", buffering=1, encoding="utf-8"))  # closed in close()

    def log(self, event: str, now: float, **fields) -> None:
        if self.stream is None:
            return
        line = json.dumps({"t": round(now, 4), "event": event, **fields}, default=str)
        try:
            self.stream.write(line + "\n")
            self.stream.flush()
        except (OSError, ValueError):
            self.stream = None  # a closed pipe stops the log, never the daemon

    def perform(self, actions, now: float) -> None:
        """Steps, state changes, and cues with their planned and actual time."""
        for action in actions:
            planned = round(action.due, 4)
            if hasattr(action, "text"):
                self.log("cue", now, kind="say", text=action.text, planned=planned, actual=now)
            elif hasattr(action, "rank"):
                self.log("cue", now, kind="sound", sound=action.name, planned=planned, actual=now)
            elif hasattr(action, "index"):
                self.log("step", now, index=action.index, name=action.name, planned=planned)
            else:
                self.log("state", now, state=action.state.value)

    def close(self) -> None:
        if self.stream not in (None, sys.stdout):
            self.stream.close()
        self.stream = None
