"""The history of sessions: ``history.jsonl`` in the state folder, one JSON object a line.

The record format (keep it backward compatible: readers must still read older lines)::

    {"routine": "demo", "started": 1700000000.0, "seconds": 61.0, "completed": true}

- ``routine``: the routine's name; ``started``: wall-clock seconds (``time.time()``)
  when the session began; ``seconds``: how long it ran; ``completed``: it reached the end.
- ``partial`` (optional, default false): the session was cut short by a kill or a power
  cut and was counted at the next start; ``seconds`` then runs to the start of its last step.
- ``utc_offset`` (optional): seconds east of UTC of local time when the session began, so
  its calendar day survives later DST and time-zone changes (older lines: the zone now).

Unknown keys are ignored, and a line that is not such a record is skipped and counted.
Appends are all or nothing: a record that does not fit (a full disk) is cut back off,
kept in memory and written again at the next chance; one torn by a power cut is never
joined by the next record, which starts on a line of its own.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from device.core.validate import is_finite_number

log = logging.getLogger(__name__)
HISTORY_FILE = "history.jsonl"
LAST_SECOND = 253402300799.0  # 9999-12-31: later "started" values are not dates


@dataclass(frozen=True)
class Session:
    """One session as it is kept in the history."""

    routine: str
    started: float
    seconds: float
    completed: bool
    partial: bool = False
    utc_offset: int | None = None

    def line(self) -> str:
        record = asdict(self)
        if not self.partial:
            del record["partial"]  # the lines stay as they always were
        if self.utc_offset is None:
            del record["utc_offset"]
        return json.dumps(record)

    @classmethod
    def parse(cls, line: str) -> Session | None:
        """The session a line holds; None for anything else (a torn or foreign line)."""
        try:
            data = json.loads(line)
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        routine, started, seconds = data.get("routine"), data.get("started"), data.get("seconds")
        flags = data.get("completed", False), data.get("partial", False)
        if not (
            isinstance(routine, str) and is_finite_number(started) and is_finite_number(seconds)
        ):
            return None
        if not (
            0 <= started <= LAST_SECOND and seconds >= 0 and all(f in (True, False) for f in flags)
        ):
            return None
        offset = data.get("utc_offset")
        offset = offset if type(offset) is int and abs(offset) <= 18 * 3600 else None
        return cls(routine, float(started), float(seconds), *flags, utc_offset=offset)


def utc_offset(wall: float) -> int:
    """Seconds east of UTC of this machine's local time at wall-clock second ``wall``."""
    offset = dt.datetime.fromtimestamp(wall).astimezone().utcoffset()
    return int(offset.total_seconds()) if offset else 0


class History:
    """Appends sessions to one file; what cannot be written yet waits in memory."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.waiting: list[Session] = []

    def append(self, session: Session) -> None:
        self.waiting.append(session)
        self.flush()

    def flush(self) -> None:
        """Write the waiting sessions in order; each failure is logged, the rest wait."""
        if not self.waiting:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            while self.waiting:
                _append_line(self.path, self.waiting[0].line())
                self.waiting.pop(0)
        except OSError as error:
            log.warning(
                "cannot write the history %s: %s (%d waiting to be written)",
                self.path,
                error.strerror or error,
                len(self.waiting),
            )

    def read(self) -> tuple[list[Session], int]:
        """The sessions, oldest first, and how many lines were skipped as unreadable."""
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return [], 0
        parsed = [Session.parse(line) for line in text.splitlines() if line.strip()]
        sessions = [session for session in parsed if session is not None]
        return sessions, len(parsed) - len(sessions)


def _append_line(path: Path, line: str) -> None:
    """Append ``line`` whole or not at all, on a line of its own; fsync'd."""
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        size = os.fstat(fd).st_size
        data = line.encode() + b"\n"
        if size and os.pread(fd, 1, size - 1) != b"\n":
            data = b"\n" + data  # the last line was torn: leave it alone, start afresh
        try:
            if os.write(fd, data) != len(data):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            os.fsync(fd)
        except OSError:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, size)  # no half record left for the next one to join
            raise
    finally:
        os.close(fd)
