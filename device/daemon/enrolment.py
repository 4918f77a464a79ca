"""The program a person follows, kept in ``program.json`` in the state folder.

``massage-timer program start|pause|resume|leave`` and the matching ``ctl`` commands
change it (atomically, never by editing the config). The record::

    {"program": "face-yoga-20-weeks", "start": "2026-01-05",
     "pauses": [["2026-02-01", "2026-02-04"], ["2026-03-01", null]]}

``"program": ""`` means left. With no file at all, the config's ``program`` and
``program_start`` are used (how enrolment worked before the file existed).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

from device.atomic import write_atomic
from device.core.program import Program
from device.core.progress import Enrolment, Practice, Progress, local_day, progress
from device.daemon.history import Session, utc_offset

log = logging.getLogger(__name__)
ENROLMENT_FILE = "program.json"


def today(wall: float) -> dt.date:
    """The local calendar date at wall-clock second ``wall``."""
    return local_day(wall, utc_offset(wall))


def practice(sessions: list[Session]) -> list[Practice]:
    """Sessions as calendar days, each at the offset it was recorded with (older lines:
    the zone in force now, at that instant)."""
    return [
        Practice(
            s.routine,
            local_day(s.started, utc_offset(s.started) if s.utc_offset is None else s.utc_offset),
            s.completed,
        )
        for s in sessions
    ]


def read_enrolment(folder: Path | None, fallback: tuple[str, str] = ("", "")) -> Enrolment | None:
    """The enrolment in ``folder``; the config's ``fallback`` (name, start) with no file;
    None when following no program. A malformed file is logged and read as none."""
    if folder is None:
        return _from_config(*fallback)
    path = Path(folder) / ENROLMENT_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return _enrolment(data)
    except FileNotFoundError:
        return _from_config(*fallback)
    except (OSError, ValueError, TypeError, KeyError) as error:
        log.warning("ignoring %s: %s", path, error)
        return None


def write_enrolment(folder: Path, enrolment: Enrolment | None) -> None:
    """Keep ``enrolment`` (None: left the program) in ``folder``; OSError if it cannot."""
    record: dict = {"program": "", "start": "", "pauses": []}
    if enrolment is not None:
        record = {
            "program": enrolment.program,
            "start": enrolment.start.isoformat(),
            "pauses": [[a.isoformat(), b.isoformat() if b else None] for a, b in enrolment.pauses],
        }
    write_atomic(Path(folder) / ENROLMENT_FILE, json.dumps(record) + "\n")


def where(
    programs: dict[str, Program], enrolment: Enrolment | None, sessions, wall: float
) -> tuple[Program, Progress] | None:
    """The enrolled program and where it stands now; None when there is none to follow."""
    program = programs.get(enrolment.program) if enrolment else None
    if program is None or enrolment is None:
        return None
    return program, progress(program, enrolment, practice(sessions), today(wall))


def _enrolment(data: dict) -> Enrolment | None:
    if not isinstance(data, dict) or not isinstance(data["program"], str):
        raise TypeError("not a program record")
    if not data["program"]:
        return None
    pauses = tuple(
        (dt.date.fromisoformat(first), dt.date.fromisoformat(end) if end else None)
        for first, end in data.get("pauses", [])
    )
    return Enrolment(data["program"], dt.date.fromisoformat(data["start"]), pauses)


def _from_config(name: str, start: str) -> Enrolment | None:
    try:
        return Enrolment(name, dt.date.fromisoformat(start)) if name else None
    except ValueError:
        log.warning("program_start '%s' is not a date (YYYY-MM-DD)", start)
        return None
