"""What `check` and `edit` look at beyond each file's own content: the sound files a
routine names, and whether the service's user can read every file and folder."""

from __future__ import annotations

import grp
import os
import pwd
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from device.audio.sounds import resolve_sound
from device.core.catalog import Catalog, program_files, routine_files
from device.core.routine import SOUNDS
from device.exc import MassageTimerError, Problem

SERVICE_USER = "massage-timer"  # User= in systemd/massage-timer.service


@dataclass(frozen=True)
class Reader:
    """A user, as the kernel sees it when it opens a file: uid and groups."""

    name: str
    uid: int
    gids: frozenset[int]

    @classmethod
    def named(cls, name: str) -> Reader:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            raise MassageTimerError(f"no user named {name!r}") from None
        return cls(name, entry.pw_uid, frozenset(os.getgrouplist(name, entry.pw_gid)))

    @classmethod
    def service(cls) -> Reader:
        """The service's user if it exists (an installed Pi), else whoever runs this."""
        try:
            return cls.named(SERVICE_USER)
        except MassageTimerError:
            name = pwd.getpwuid(os.geteuid()).pw_name
            return cls(name, os.geteuid(), frozenset(os.getgroups()) | {os.getegid()})

    def can_read(self, path: Path) -> bool:
        """By the permission bits (as root, anything); a folder also needs x to be entered."""
        info = os.stat(path)
        if self.uid == 0:
            return True
        if info.st_uid == self.uid:
            bits = info.st_mode >> 6
        elif info.st_gid in self.gids:
            bits = info.st_mode >> 3
        else:
            bits = info.st_mode
        need = 5 if stat.S_ISDIR(info.st_mode) else 4
        return bits & need == need


def group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def unreadable(paths: Iterable[Path], reader: Reader) -> list[Problem]:
    """A problem for each file, or folder down from a checked folder, ``reader`` cannot read."""
    problems = []
    for path in _with_contents(paths):
        try:
            readable = reader.can_read(path)
        except OSError:
            continue  # gone, or a dangling link: the loader reports it
        if not readable:
            message = f"the service's user ({reader.name}) cannot read this; {_fix(path)}"
            problems.append(Problem(str(path), 1, "", message))
    return problems


def _with_contents(paths: Iterable[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        found.append(path)
        if path.is_dir():
            programs = path / "programs"
            found += routine_files(path) + ([programs] if programs.is_dir() else [])
            found += program_files(path)
    return found


def _fix(path: Path) -> str:
    try:
        group = group_name(path.stat().st_gid)
    except OSError:
        group = SERVICE_USER
    where = "the folder" if path.is_dir() else "the file"
    return f"make {where} readable by its group (chmod g+r{'x' * path.is_dir()}, group {group})"


def missing_sounds(catalog: Catalog, sounds_folder: str) -> list[Problem]:
    """A problem for each cue whose sound file is not in the sounds folder."""
    problems = []
    for routine in catalog.routines.values():
        for number, step in enumerate(routine.steps, start=1):
            for cue in step.cues:
                if not cue.sound or cue.sound in SOUNDS:
                    continue
                if resolve_sound(cue.sound, sounds_folder) is None:
                    folder = sounds_folder or "not set: [audio] sounds in the config"
                    message = f"sound {cue.sound!r} is not a file in the sounds folder ({folder})"
                    where = f'step {number} ("{step.name}")'
                    problems.append(Problem(routine.path, cue.line or step.line, where, message))
    return problems
