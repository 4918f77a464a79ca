"""`massage-timer edit NAME`: change a routine over SSH safely, as visudo and crontab -e do.

The routine (or ``programs/NAME``) is copied to a private folder and opened in the
editor: ``$VISUAL``, ``$EDITOR``, else ``editor``, ``nano`` or ``vi``. When the editor
exits, the copy is checked as ``check`` would check it. With problems, they are shown
and the copy reopens with them at the top as ``#!`` comments, until it is right or the
person gives up, which leaves the routine as it was (the copy is kept for them). A good
copy is installed atomically: a hidden temp file beside the routine, with the owner,
group and mode the service needs, fsync'd and renamed over it, the folder fsync'd; the
daemon then reloads it once, whole.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from device.atomic import write_atomic
from device.cli.checks import Reader, missing_sounds, unreadable
from device.cli.routines import configured
from device.config.paths import routines_folder
from device.core.catalog import PROGRAMS_FOLDER, load_catalog, routine_files
from device.core.routine import NAME_PATTERN, routine_name
from device.exc import MassageTimerError, Problem, escaped

HEADER = "#! "  # lines the edit loop adds at the top, and takes away again
NEW_ROUTINE = """\
title = "{title}"

[[step]]
name = "First step"
say = "Say what to do here."
duration = "30s"
"""


def register(commands: argparse._SubParsersAction) -> None:
    edit = commands.add_parser("edit", help="edit a routine safely: checked before it is used")
    edit.add_argument("name", help="routine name, or programs/NAME for a program")
    edit.set_defaults(run=run_edit)


def run_edit(args: argparse.Namespace) -> int:
    config = configured(args)
    folder = routines_folder(args.routines, config.routines.folder)
    target = _target(folder, args.name)
    before = target.read_bytes() if target.exists() else None
    work = Path(tempfile.mkdtemp(prefix="massage-timer-edit-")) / target.relative_to(folder)
    work.parent.mkdir(exist_ok=True)  # programs/, so the copy is checked as a program
    body = before.decode("utf-8", "replace") if before is not None else _template(target)
    problems: list[Problem] = []
    while True:
        work.write_text(_with_header(problems) + body, encoding="utf-8")
        _run_editor(work)
        body = _without_header(work.read_text(encoding="utf-8", errors="replace"))
        work.write_text(body, encoding="utf-8")  # checked as it will be installed
        if before is not None and body.encode() == before:
            _discard(work)
            print(f"no changes: {target} is as it was", file=sys.stderr)
            return 0
        problems = _problems(work, folder, config.audio.sounds)
        if not problems:
            return _install(target, before, work)
        for problem in problems:
            print(replace(problem, path=str(target)), file=sys.stderr)
        if not _again():
            raise MassageTimerError(f"{target} is unchanged; your edit is kept in {work}")


def _target(folder: Path, name: str) -> Path:
    program = name.startswith(f"{PROGRAMS_FOLDER}/")
    bare = name.removeprefix(f"{PROGRAMS_FOLDER}/").removesuffix(".toml")
    if not NAME_PATTERN.match(bare):
        raise MassageTimerError(
            f"{escaped(name)!r} is not a routine name: lowercase letters, digits and dashes"
        )
    if not folder.is_dir():
        raise MassageTimerError(f"the routines folder {folder} is missing")
    return (folder / PROGRAMS_FOLDER if program else folder) / f"{bare}.toml"


def _template(target: Path) -> str:
    title = target.stem.replace("-", " ").capitalize()
    if target.parent.name == PROGRAMS_FOLDER:
        return f'title = "{title}"\n\n[[phase]]\nweeks = [1, 4]\nroutines = []\n'
    return NEW_ROUTINE.format(title=title)


def _with_header(problems: list[Problem]) -> str:
    if not problems:
        return ""
    lines = [
        "massage-timer edit: this version has problems, so it was not installed.",
        "Fix them and save. These #! lines are taken away again.",
    ]
    shift = len(lines) + len(problems)  # the problems' lines, counted in this file
    for problem in problems:
        where = f" {problem.where}:" if problem.where else ""
        lines.append(escaped(f"line {problem.line + shift}:{where} {problem.message}"))
    return "".join(f"{HEADER}{line}\n" for line in lines)


def _without_header(text: str) -> str:
    lines = text.splitlines(keepends=True)
    while lines and lines[0].startswith(HEADER.rstrip()):
        lines.pop(0)
    return "".join(lines)


def _problems(work: Path, folder: Path, sounds: str) -> list[Problem]:
    """What `check` would say of the edited copy, as if it were in ``folder``."""
    known = [routine_name(p) for p in routine_files(folder)]
    catalog = load_catalog([work], known_routines=known)
    return catalog.problems + missing_sounds(catalog, sounds)


def editor_command() -> list[str]:
    """$VISUAL, $EDITOR, else the first of editor, nano and vi that is installed."""
    for variable in ("VISUAL", "EDITOR"):
        if os.environ.get(variable, "").strip():
            return shlex.split(os.environ[variable])
    for name in ("editor", "nano", "vi"):
        if shutil.which(name):
            return [name]
    raise MassageTimerError("no editor found: set EDITOR, or install nano")


def _run_editor(work: Path) -> None:
    command = editor_command()
    try:
        status = subprocess.run([*command, str(work)], check=False).returncode
    except OSError as error:
        raise MassageTimerError(f"cannot run the editor {command[0]}: {error.strerror}") from None
    if status != 0:
        raise MassageTimerError(
            f"the editor exited with status {status}; nothing was installed (your copy: {work})"
        )


def _again() -> bool:
    """Ask whether to edit again; no answer (end of input) means no."""
    print("Edit again? [Y/n] ", end="", file=sys.stderr, flush=True)
    answer = sys.stdin.readline()
    return bool(answer) and answer.strip().lower() in ("", "y", "yes")


def _install(target: Path, before: bytes | None, work: Path) -> int:
    """Replace ``target`` with the checked copy, unless someone changed it meanwhile."""
    now = target.read_bytes() if target.exists() else None
    if now != before:
        raise MassageTimerError(
            f"{target} was changed by someone else while you edited; yours is kept in {work}"
        )
    install_atomically(target, work.read_bytes())
    _discard(work)
    print(f"installed {target}", file=sys.stderr)
    for problem in unreadable([target], Reader.service()):
        print(f"warning: {problem}", file=sys.stderr)
    return 0


def install_atomically(target: Path, data: bytes) -> None:
    """Write ``data`` over ``target`` so that a reader (the daemon) sees the old file or
    the new one, with the old one's owner and group and a mode its group can read."""
    uid, gid, mode = _ownership(target)
    write_atomic(target, data, prepare=lambda fd: _own(fd, uid, gid, mode))


def _ownership(target: Path) -> tuple[int, int, int]:
    """(uid, gid, mode) for the new file: the old file's, else the folder's group (the
    installer makes it the service's, set-group-ID), readable by owner and group."""
    try:
        info = target.stat()
        return info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode) | 0o440
    except FileNotFoundError:
        shared = target.parent.stat()
        if shared.st_mode & stat.S_ISGID:
            return -1, shared.st_gid, 0o664
        return -1, -1, 0o644


def _own(fd: int, uid: int, gid: int, mode: int) -> None:
    os.fchmod(fd, mode)
    for owner in (
        (uid, gid),
        (-1, gid),
    ):  # only root may give a file away; a group we are in is fine
        try:
            os.fchown(fd, *owner)
            return
        except PermissionError:
            continue


def _discard(work: Path) -> None:
    shutil.rmtree(work.parent if work.parent.name != PROGRAMS_FOLDER else work.parent.parent)
