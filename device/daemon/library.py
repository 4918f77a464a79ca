"""The routines folder, live: reload on change, keep the last good version of each routine.

``Library.load()`` re-reads the folder through ``load_catalog``; a routine whose
file is now broken keeps its previous good version. A broken file is reported as
newly broken once per broken state (its set of problems), not once per save.
``FolderWatcher`` waits on inotify in a thread (no polling), debounces a burst of
saves, and calls back — the daemon's callback only puts an event on the loop's queue.
"""

from __future__ import annotations

import logging
import os
import select
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from inotify_simple import Event, INotify, flags

from device.core.catalog import (
    PROGRAMS_FOLDER,
    Read,
    T,
    is_routine_file,
    load_catalog,
    program_files,
    routine_files,
)
from device.core.program import Program
from device.core.routine import Routine, routine_name
from device.daemon.lastgood import LastGood
from device.exc import InvalidFileError, Problem
from device.once import Once

log = logging.getLogger(__name__)
DEBOUNCE = 0.15  # seconds of quiet after the last save before reloading
_FOLDER_MASK = flags.CLOSE_WRITE | flags.MOVED_TO | flags.MOVED_FROM | flags.DELETE | flags.CREATE
_SELF_MASK = flags.DELETE_SELF | flags.MOVE_SELF | flags.ATTRIB | flags.ONLYDIR
_PARENT_MASK = flags.CREATE | flags.MOVED_TO | flags.MOVED_FROM | flags.DELETE | flags.ATTRIB
_DONE_WRITING = flags.CLOSE_WRITE | flags.MOVED_TO | flags.MOVED_FROM | flags.DELETE


@dataclass
class Loaded:
    """The outcome of one load: what to use, what is wrong, what just broke."""

    routines: dict[str, Routine]
    programs: dict[str, Program]
    problems: list[Problem] = field(default_factory=list)
    broken: set[str] = field(default_factory=set)  # names whose newest file has errors
    newly_broken: list[str] = field(default_factory=list)  # in a new broken state: say once
    kept: list[str] = field(default_factory=list)  # broken, last good version kept


class Library:
    """Routines of one folder with memory of the last good version of each: in memory,
    and with ``last_good`` on disk too, so that it outlives a restart."""

    def __init__(self, folder: Path, last_good: LastGood | None = None) -> None:
        self.folder = Path(folder)
        self.last_good = last_good
        self.unchanged = FileMemo()  # a reload parses only the files saved since the last
        self.good: dict[str, Routine] = {}
        self.programs: dict[str, Program] = {}
        self.broken: set[str] = set()
        # the problems each file had when last reported as newly broken: the same problems
        # again (after a fix, or a save that changed nothing that matters) are not news
        self.reported: dict[str, frozenset[tuple[str, str]]] = {}

    def load(self) -> Loaded:
        """Re-read the folder; never raises for anything wrong with the files."""
        if not self.folder.is_dir() or not os.access(self.folder, os.R_OK | os.X_OK):
            what = "is missing" if not self.folder.exists() else "is not a readable folder"
            message = f"routines folder {what}; keeping the {len(self.good)} routines loaded"
            return Loaded(
                dict(self.good),
                dict(self.programs),
                [Problem(str(self.folder), 1, "", message)],
                set(self.broken),
            )
        catalog = load_catalog([self.folder], read=self.unchanged.round())
        present = {routine_name(p) for p in routine_files(self.folder)}
        faults = _faults(catalog, self.folder, present)
        broken = set(faults) - set(catalog.routines)
        routines = dict(catalog.routines)
        previous = self._previous(broken)
        kept = sorted(name for name in broken if name in previous)
        routines.update({name: previous[name] for name in kept})
        loaded = Loaded(routines, {}, catalog.problems, broken, kept=kept)
        loaded.newly_broken = sorted(n for n in broken if self.reported.get(n) != faults[n])
        self.reported.update({name: faults[name] for name in loaded.newly_broken})
        self.reported = {n: f for n, f in self.reported.items() if n in present}
        self.good = {n: r for n, r in routines.items() if n in present}
        if self.last_good:
            self.last_good.keep(catalog.routines)
            self.last_good.forget(present)
        self.broken = broken
        self.programs = self._programs(catalog)
        loaded.routines, loaded.programs = dict(self.good), dict(self.programs)
        return loaded

    def _previous(self, broken: set[str]) -> dict[str, Routine]:
        """The last good versions: in memory, else (after a restart) the kept copies."""
        previous = dict(self.good)
        if self.last_good is None:
            return previous
        for name in sorted(broken - set(previous)):
            recalled = self.last_good.recall(name)
            if recalled is not None:
                log.info("%s: using its last good version, kept in %s", name, recalled.path)
                previous[name] = recalled
        return previous

    def _programs(self, catalog) -> dict[str, Program]:
        """The programs loaded; one whose file is now broken keeps its last good version."""
        folder = self.folder / PROGRAMS_FOLDER
        present = {routine_name(p) for p in program_files(self.folder)}
        programs = dict(catalog.programs)
        for name in set(_faults(catalog, folder, present)) - set(programs):
            if name in self.programs:
                programs[name] = self.programs[name]
        return {n: p for n, p in programs.items() if n in present}


class FileMemo:
    """Each file's load (routine or problems), kept until the file changes: same inode,
    size and times. One save among 300 files then costs one parse, not 300."""

    def __init__(self) -> None:
        self.kept: dict[Path, tuple[tuple, object]] = {}

    def round(self) -> Read:
        """The ``read`` for one load; files it does not read again are forgotten."""
        previous, self.kept = self.kept, {}

        def read(file: Path, loader: Callable[[Path], T]) -> T:
            try:
                found = os.stat(file)
            except OSError:
                return loader(file)  # it says what is wrong
            key = (loader, found.st_ino, found.st_size, found.st_mtime_ns, found.st_ctime_ns)
            key_then, outcome = previous.get(file, ((), None))
            if key_then != key:
                try:
                    outcome = loader(file)
                except InvalidFileError as error:
                    outcome = error.problems
            self.kept[file] = (key, outcome)
            if isinstance(outcome, list):
                raise InvalidFileError(outcome)
            return cast(T, outcome)  # the key holds the loader: a kept outcome is its result

        return read


def _faults(catalog, folder: Path, present: set[str]) -> dict[str, frozenset[tuple[str, str]]]:
    """The problems of each file in ``folder`` (among ``present``) that has any.

    A problem is (where, what) without its line: a line added above a mistake moves
    it, but it is the same mistake.
    """
    faults: dict[str, set[tuple[str, str]]] = {}
    for problem in catalog.problems:
        path = Path(problem.path)
        if path.parent == folder and routine_name(path) in present:
            faults.setdefault(routine_name(path), set()).add((problem.where, problem.message))
    return {name: frozenset(problems) for name, problems in faults.items()}


class FolderWatcher:
    """Calls ``on_change()`` once per burst of changes to routine files in ``folder``."""

    def __init__(
        self, folder: Path, on_change: Callable[[], None], debounce: float = DEBOUNCE
    ) -> None:
        self.folder = Path(folder).absolute()
        self.on_change = on_change
        self.debounce = debounce
        self.inotify: INotify | None = None
        self._wake_r, self._wake_w = -1, -1
        self._thread: threading.Thread | None = None
        self._watches: dict[int, str] = {}  # wd -> "folder", "programs" or "parent"
        self._once = Once(log)

    def start(self) -> None:
        self.inotify = INotify()
        self._wake_r, self._wake_w = os.pipe2(os.O_CLOEXEC)
        self._ensure_watches()
        self._thread = threading.Thread(target=self._run, name="folder-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is None:
            return
        os.write(self._wake_w, b"x")
        self._thread.join(timeout=5)
        self._thread = None
        for fd in (self._wake_r, self._wake_w):
            os.close(fd)
        if self.inotify:
            self.inotify.close()

    def _ensure_watches(self) -> None:
        """(Re)watch the folder, its programs/ and its parent (which sees it come and go)."""
        assert self.inotify is not None
        targets = [
            (self.folder.parent, _PARENT_MASK | flags.ONLYDIR, "parent"),
            (self.folder, _FOLDER_MASK | _SELF_MASK, "folder"),
            (self.folder / PROGRAMS_FOLDER, _FOLDER_MASK | _SELF_MASK, "programs"),
        ]
        self._watches.clear()
        for path, mask, role in targets:
            try:
                self._watches[self.inotify.add_watch(path, mask)] = role
            except OSError as error:
                if role == "folder":
                    self._once.warn("folder", f"cannot watch {path}: {error.strerror}")
        if "folder" in self._watches.values():
            self._once.forget("folder")

    def _run(self) -> None:
        assert self.inotify is not None
        while True:
            ready, _, _ = select.select([self.inotify, self._wake_r], [], [])
            if self._wake_r in ready:
                return
            if not self._relevant(self.inotify.read(timeout=0)):
                continue
            while True:  # debounce: wait for the burst of saves to go quiet
                ready, _, _ = select.select([self.inotify, self._wake_r], [], [], self.debounce)
                if self._wake_r in ready:
                    return
                if not ready:
                    break
                self.inotify.read(timeout=0)
            self._ensure_watches()
            self.on_change()

    def _relevant(self, events: list[Event]) -> bool:
        return any(self._matters(event) for event in events)

    def _matters(self, event: Event) -> bool:
        role = self._watches.get(event.wd, "")
        if event.mask & flags.Q_OVERFLOW:
            return True
        if role == "parent":
            return event.name == self.folder.name
        if not event.name or event.mask & flags.ISDIR:
            return not event.mask & flags.IGNORED or role == "folder"
        if not is_routine_file(event.name):
            return False
        if event.mask & _DONE_WRITING:
            return True
        # A file just created is empty or half-written: wait for its close. A symlink or a
        # FIFO is never written and closed here, so it matters as soon as it appears.
        return bool(event.mask & flags.CREATE) and self._not_a_plain_file(role, event.name)

    def _not_a_plain_file(self, role: str, name: str) -> bool:
        folder = self.folder / PROGRAMS_FOLDER if role == "programs" else self.folder
        try:
            return not stat.S_ISREG(os.lstat(folder / name).st_mode)
        except OSError:
            return False  # gone again: its IN_DELETE will say so
