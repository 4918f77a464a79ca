"""Watching and steering the daemon from outside: the event log and the control socket.

The socket speaks one JSON object per line each way, over a Unix socket only.

Request ``{"cmd": "start", "name": "evening"}``; reply ``{"ok": true, ...}`` or
``{"ok": false, "error": "..."}``. The server thread parses, hands the request
to the loop through ``submit`` and writes back what the loop answers. The
server is control_server.py: the socket is owner and group only (0660) in a folder
of this user that no one else can write to (0750; 0700 for the
``/tmp/massage-timer-UID`` fallback).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import struct
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TextIO

from device.config.paths import system_runtime_folder
from device.core.session import Action, Say, Sound, StateChanged, StepStarted
from device.core.validate import is_finite_number
from device.daemon.board import MAX_HOLD
from device.daemon.inbox import Event, Request

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
    "program-start": ("name", "from"),
    "program-pause": (),
    "program-resume": (),
    "program-leave": (),
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
    for key in ("name", "button", "from"):
        if key in request and not isinstance(request[key], str):
            raise ValueError(f'"{key}" must be a string')
    hold = request.get("hold")
    if hold is not None and not (is_finite_number(hold) and 0 <= hold <= MAX_HOLD):
        raise ValueError(f'"hold" must be a number of seconds from 0 to {MAX_HOLD:g}')
    return request


def submitter(post: Callable[[Event], None], timeout: float = REPLY_TIMEOUT) -> Submit:
    """For the server's threads: ``post`` a request to the loop and wait for its answer."""

    def submit(request: dict) -> dict:
        answer: dict = {}
        done = threading.Event()

        def reply(result: dict) -> None:
            answer.update(result)
            done.set()

        post(Request(request, reply))
        if not done.wait(timeout):
            return {"ok": False, "error": "the daemon did not answer in time"}
        return answer

    return submit


def answer_line(raw: bytes, submit: Submit) -> dict:
    """The reply to one request line (at most MAX_LINE bytes): never raises."""
    try:
        return submit(check_request(json.loads(raw)))
    except ValueError as error:
        return {"ok": False, "error": str(error)}
    except Exception as error:  # a bad request must never take the server down
        log.exception("control request failed")
        return {"ok": False, "error": f"internal error: {error}"}


def request(path: Path, message: dict, timeout: float = REPLY_TIMEOUT + 1) -> dict:
    """Send one request to the daemon and return its reply; OSError if it is not running."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        # Blocking, with a send timeout: a connect that meets a full backlog waits for room
        # (with settimeout() it would fail at once with EAGAIN).
        seconds, fraction = divmod(timeout, 1)
        timeval = struct.pack("ll", int(seconds), int(fraction * 1e6))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval)
        sock.connect(str(path))
        sock.settimeout(timeout)
        sock.sendall(json.dumps(message).encode() + b"\n")
        with sock.makefile("rb") as stream:
            line = stream.readline()
    if not line:
        raise ConnectionError(f"{path}: the daemon closed the connection")
    return json.loads(line)


class EventLog:
    """``--events PATH|-``: one JSON line per event, each with the loop's monotonic ``t``."""

    def __init__(self, stream: TextIO | None) -> None:
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

    def perform(self, actions: Iterable[Action], now: float) -> None:
        """Steps, state changes, and cues with their planned and actual time."""
        for action in actions:
            planned = round(action.due, 4)
            match action:
                case Say(text):
                    self.log("cue", now, kind="say", text=text, planned=planned, actual=now)
                case Sound(name):
                    self.log("cue", now, kind="sound", sound=name, planned=planned, actual=now)
                case StepStarted(index, name):
                    self.log("step", now, index=index, name=name, planned=planned)
                case StateChanged(state):
                    self.log("state", now, state=state.value)

    def close(self) -> None:
        if self.stream not in (None, sys.stdout):
            self.stream.close()
        self.stream = None
