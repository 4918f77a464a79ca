"""Reloads off the loop thread: the routines folder is read and checked in a worker.

Reading and validating every file takes tens of milliseconds with the bundled
routines and most of a second with hundreds, which on the loop thread made cues
late. The ``Reloader`` does ``Library.load`` in a thread of its own and posts the
result (``Reloaded``) to the loop, which only swaps it in. Saves that come while a
load runs are folded into one more load. Each file's problems are logged when they
change (or the file is saved again), not at every reload.

Without ``start`` (the tests, and the daemon's first load) ``load`` runs where it is
called.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

from device.daemon.inbox import Event, Reloaded
from device.daemon.library import Library, Loaded

log = logging.getLogger(__name__)


@dataclass
class _Wanted:
    asked: int = 0  # tickets handed out
    started: int = 0  # the newest ticket a load has started for
    stopping: bool = False


class Reloader:
    """Loads ``library`` when asked: at once (``load``) or, once started, in a thread."""

    def __init__(self, library: Library) -> None:
        self.library = library
        # path -> the problems last logged for it, and its modification time then
        self._said: dict[str, tuple[list[str], int]] = {}
        self._post: Callable[[Event], None] | None = None
        self._wanted = _Wanted()
        self._change = threading.Condition()
        self._thread: threading.Thread | None = None

    @property
    def threaded(self) -> bool:
        return self._thread is not None

    def start(self, post: Callable[[Event], None]) -> None:
        """From now on ``request`` loads in a thread and ``post``s each result."""
        self._post = post
        self._thread = threading.Thread(target=self._run, name="reloader", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is None:
            return
        with self._change:
            self._wanted.stopping = True
            self._change.notify()
        self._thread.join(timeout=5)
        self._thread = None

    def request(self) -> int:
        """Ask for a load that starts after now; the ticket its ``Reloaded`` will cover."""
        with self._change:
            self._wanted.asked += 1
            self._change.notify()
            return self._wanted.asked

    def load(self) -> Loaded:
        """Read the folder now, on this thread; log the problems that are news."""
        loaded = self.library.load()
        self._log_news(loaded)
        return loaded

    def _run(self) -> None:
        while True:
            with self._change:
                wanted = self._wanted
                while wanted.started == wanted.asked and not wanted.stopping:
                    self._change.wait()
                if wanted.stopping:
                    return
                wanted.started = ticket = wanted.asked
            try:
                loaded = self.load()
            except Exception:  # a bug in loading must not end reloads for good
                log.exception("reloading the routines failed")
                continue
            assert self._post is not None
            self._post(Reloaded(loaded, ticket))

    def _log_news(self, loaded: Loaded) -> None:
        """Log a file's problems when they changed, or the file did (saved again, still
        wrong), since they were last logged; a file without problems is forgotten."""
        by_path: dict[str, tuple[list[str], int]] = {}
        for problem in loaded.problems:
            problems, _ = by_path.setdefault(problem.path, ([], _modified(problem.path)))
            problems.append(str(problem))
        for path, news in by_path.items():
            if self._said.get(path) != news:
                for line in news[0]:
                    log.warning("%s", line)
        self._said = by_path


def _modified(path: str) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return 0
