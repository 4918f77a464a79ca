"""The control socket's server: the standard library's ``socketserver``, one thread a client.

What it adds to ``socketserver``: a folder check (this user's, not writable by others),
a socket of mode 0660, a backlog that holds a crowd of ``ctl`` calls, a cap on open
connections and an idle timeout (so clients cannot use up the file descriptors), and
accept errors (EMFILE and friends) that are logged and backed off from, never fatal.
A client that hangs up is not an error. ``healthy()`` tells the watchdog whether the
server still accepts. The protocol itself (one JSON line each way) is control.py.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import socket
import socketserver
import stat
import threading
from pathlib import Path

from device.daemon.control import MAX_LINE, Submit, answer_line
from device.exc import MassageTimerError

log = logging.getLogger(__name__)
BACKLOG = 128  # connections waiting to be accepted (64 `ctl status` at once, with room)
MAX_CLIENTS = 128  # connections served at once; more are told so and closed
IDLE_TIMEOUT = 60.0  # seconds a client may stay silent before it is hung up on
BACKOFF_FIRST, BACKOFF_MOST = 0.05, 2.0  # seconds to wait after a failed accept
_OUT_OF = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}  # resources, not bugs


class ControlServer:
    """Serves ``submit`` on a Unix socket at ``path`` from a thread, until ``stop``."""

    def __init__(self, path: Path, submit: Submit, idle_timeout: float = IDLE_TIMEOUT) -> None:
        self.path = Path(path)
        self.submit = submit
        self.idle_timeout = idle_timeout
        self.server: _Server | None = None
        self.thread: threading.Thread | None = None
        self.accept_failures = threading.Event()  # set while accepting fails

    def start(self) -> None:
        check_folder(self.path.parent)
        if self.path.is_socket() and not _alive(self.path):
            self.path.unlink()  # left behind by a crash
        server = _Server(self)
        try:
            server.server_bind()
            # No umask dance (the umask is process-wide, other threads create files): the
            # checked folder (0750 or 0700) already keeps others out until the chmod.
            os.chmod(self.path, 0o660)
            server.server_activate()
        except BaseException:
            server.server_close()
            raise
        self.server = server
        self.thread = threading.Thread(target=self._serve, name="control", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        """Stop accepting and remove the socket; connections being served end by themselves."""
        if self.server is None:
            return
        server, self.server = self.server, None
        server.closing.set()
        stopper = threading.Thread(target=server.shutdown, name="control-stop", daemon=True)
        stopper.start()
        with contextlib.suppress(OSError):
            server.socket.shutdown(socket.SHUT_RDWR)  # wakes select(): no polling to wait for
        stopper.join(timeout=5)
        server.server_close()
        self.path.unlink(missing_ok=True)

    def healthy(self) -> bool:
        """True while the server thread runs (the loop feeds the watchdog only then)."""
        return self.thread is not None and self.thread.is_alive()

    def _serve(self) -> None:
        assert self.server is not None
        server = self.server
        try:
            # None: sleep until a connection (typeshed says float; select() takes None)
            server.serve_forever(poll_interval=None)  # type: ignore[arg-type]
        except BaseException:
            log.exception("control socket stopped; the watchdog will restart the daemon")


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True  # a stuck client never holds the daemon's exit
    block_on_close = False  # nor its stop
    request_queue_size = BACKLOG

    def __init__(self, owner: ControlServer) -> None:
        super().__init__(str(owner.path), _Handler, bind_and_activate=False)
        self.owner = owner
        self.closing = threading.Event()
        self.clients = 0
        self.count_lock = threading.Lock()
        self.backoff = 0.0

    def get_request(self):
        try:
            connection = self.socket.accept()
        except OSError as error:
            if error.errno in _OUT_OF and not self.closing.is_set():
                self._back_off(error)
            raise  # socketserver drops a failed accept and selects again
        if self.backoff:
            self.backoff = 0.0
            self.owner.accept_failures.clear()
            log.warning("accepting control connections again")
        return connection

    def _back_off(self, error: OSError) -> None:
        """Wait a little longer after each failure, so a full fd table is not a busy loop."""
        if not self.backoff:
            log.warning("cannot accept control connections (%s); retrying", error.strerror)
        self.owner.accept_failures.set()
        self.backoff = min(BACKOFF_MOST, max(BACKOFF_FIRST, self.backoff * 2))
        self.closing.wait(self.backoff)

    def process_request(self, request, client_address) -> None:
        with self.count_lock:
            full = self.clients >= MAX_CLIENTS
            self.clients += not full
        if full:
            _refuse(request, f"too many connections (more than {MAX_CLIENTS})")
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._release()
            raise

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._release()

    def _release(self) -> None:
        with self.count_lock:
            self.clients -= 1

    def handle_error(self, request, client_address) -> None:
        log.exception("control connection failed")  # a bug: hang-ups never get here


class _Handler(socketserver.StreamRequestHandler):
    """One client: a JSON line in, a JSON line out, until it hangs up or stays silent."""

    server: _Server

    def setup(self) -> None:
        # per server, read by StreamRequestHandler.setup (typeshed calls it a class variable)
        self.timeout = self.server.owner.idle_timeout  # type: ignore[misc]
        super().setup()

    def handle(self) -> None:
        submit = self.server.owner.submit
        # A client that hangs up (or stays silent) simply ends its connection.
        with contextlib.suppress(ConnectionError, TimeoutError):
            while raw := self.rfile.readline(MAX_LINE + 1):
                if len(raw) > MAX_LINE:
                    self._skip_line(raw)
                    answer = {"ok": False, "error": "request too long"}
                else:
                    answer = answer_line(raw, submit)
                self.wfile.write(json.dumps(answer).encode() + b"\n")

    def _skip_line(self, start: bytes) -> None:
        """Drop the rest of an oversized line, so none of it runs as a request."""
        chunk = start
        while chunk and not chunk.endswith(b"\n"):
            chunk = self.rfile.readline(MAX_LINE)


def _refuse(connection: socket.socket, why: str) -> None:
    with contextlib.suppress(OSError):
        connection.sendall(json.dumps({"ok": False, "error": why}).encode() + b"\n")


def check_folder(folder: Path) -> None:
    """The socket's folder, made if missing: a real folder of this user that no one else
    can write to (else they could replace the socket); the shared-/tmp fallback is 0700."""
    private = folder.name == f"massage-timer-{os.getuid()}"
    if private:
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=0o700)
    else:
        folder.mkdir(mode=0o750, parents=True, exist_ok=True)
    found = os.lstat(folder)
    if not stat.S_ISDIR(found.st_mode) or found.st_uid != os.getuid():
        raise MassageTimerError(f"{folder} is not a folder of this user; remove it or set a socket")
    if private and found.st_mode & 0o077:
        raise MassageTimerError(f"{folder} is open to group or others; chmod 700 it")
    if found.st_mode & 0o022:
        raise MassageTimerError(f"{folder} is writable by group or others; chmod 750 it")


def _alive(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(str(path))
            return True
        except OSError:
            return False
