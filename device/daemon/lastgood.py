"""The last good version of each routine, kept on disk so that a restart does not lose it.

After a load, every routine that loaded from the folder is copied to
``<state>/last-good/NAME.toml`` when its text changed. The copy is first written (and
fsync'd) under ``.incoming/`` and checked again there, because the file may have been
saved once more since it was checked; only a copy that still loads replaces the old one,
by a rename, and the folder is fsync'd. A power cut leaves the old copy or the new one.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path

from device.atomic import sync_folder
from device.core.catalog import routine_files
from device.core.routine import Routine, load_routine, routine_name
from device.core.tomlsource import MAX_FILE_BYTES
from device.exc import InvalidFileError
from device.once import Once

log = logging.getLogger(__name__)
LAST_GOOD_FOLDER = "last-good"
INCOMING = ".incoming"


class LastGood:
    """A folder of verified copies of the routines' files, one per routine name."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._kept: dict[str, Routine] = {}  # what is on disk already, as loaded
        self._once = Once(log)  # a read-only state folder is said once, not at each reload

    def keep(self, routines: Mapping[str, Routine]) -> None:
        """Copy each routine's file whose text is new; a failure is logged, never raised."""
        for name, routine in routines.items():
            if self._kept.get(name) == routine:
                continue
            try:
                if self._copy(name, Path(routine.path)):
                    self._kept[name] = routine
            except OSError as error:
                message = f"cannot keep last good versions (first: {name}): {error}"
                self._once.warn(str(error.errno), message)

    def recall(self, name: str) -> Routine | None:
        """The kept version of ``name``, if there is one and it still loads."""
        path = self.folder / f"{name}.toml"
        if not path.is_file():
            return None
        try:
            return load_routine(path)
        except InvalidFileError as error:
            log.warning("the kept copy of %s does not load: %s", name, error)
            return None

    def forget(self, present: Iterable[str]) -> None:
        """Remove the copies of routines whose files were deleted on purpose."""
        wanted = set(present)
        for path in routine_files(self.folder) if self.folder.is_dir() else []:
            if routine_name(path) not in wanted:
                with contextlib.suppress(OSError):
                    path.unlink()
                self._kept.pop(routine_name(path), None)

    def _copy(self, name: str, source: Path) -> bool:
        """True if the copy on disk now matches ``source``, which still loads."""
        target = self.folder / f"{name}.toml"
        data = _read_regular(source)
        with contextlib.suppress(OSError):
            if _read_regular(target) == data:
                return True
        incoming = self.folder / INCOMING / f"{name}.toml"
        incoming.parent.mkdir(parents=True, exist_ok=True)
        try:
            _write_synced(incoming, data)
            load_routine(incoming)
        except InvalidFileError:
            return False  # saved again, broken, since it was checked: keep the old copy
        else:
            os.replace(incoming, target)
            sync_folder(self.folder)
            return True
        finally:
            with contextlib.suppress(OSError):
                incoming.unlink(missing_ok=True)
                incoming.parent.rmdir()


def _read_regular(path: Path) -> bytes:
    """A regular file's bytes; never blocks on a FIFO put in its place."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, f"{path} is not a regular file")
        return os.read(fd, MAX_FILE_BYTES + 1)
    finally:
        os.close(fd)


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
