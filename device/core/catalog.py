"""A folder of routine files and ``programs/``, loaded into one catalog.

Every problem in every file is collected; a broken file is left out of the
catalog while the good ones load, so one typo never hides the others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from device.core.program import Program, load_program
from device.core.routine import Routine, load_routine, routine_name
from device.exc import InvalidFileError, Problem

PROGRAMS_FOLDER = "programs"
T = TypeVar("T")
Read = Callable[[Path, Callable[[Path], T]], T]  # read(file, loader): the loaded file


@dataclass
class Catalog:
    """Routines and programs by name, with the problems met while loading them."""

    routines: dict[str, Routine] = field(default_factory=dict)
    programs: dict[str, Program] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return sorted(self.routines)


def is_routine_file(name: str) -> bool:
    """True for ``evening.toml``; False for editor swap, backup, hidden and temp files."""
    return name.endswith(".toml") and not name.startswith((".", "#"))


def routine_files(folder: Path) -> list[Path]:
    """The routine (or program) files of a folder: the one definition the watcher uses too."""
    return sorted(p for p in folder.glob("*.toml") if is_routine_file(p.name))


def program_files(folder: Path) -> list[Path]:
    return routine_files(folder / PROGRAMS_FOLDER)


def load_catalog(
    paths: Iterable[Path], known_routines: Iterable[str] = (), read: Read | None = None
) -> Catalog:
    """Load routine files and folders (with their ``programs/``) into one Catalog.

    A program may name the routines loaded, those beside a program file given alone,
    and ``known_routines`` (a program being edited away from its folder). ``read(file,
    loader)`` loads one file (default: ``loader(file)``); the daemon's remembers the
    files that did not change since its last reload."""
    read = read or _read
    catalog = Catalog()
    seen: dict[str, str] = {}
    beside: set[str] = set(known_routines)
    for path in paths:
        if path.is_dir():
            routines, programs = routine_files(path), program_files(path)
        else:
            in_programs = path.parent.name == PROGRAMS_FOLDER
            routines, programs = ([], [path]) if in_programs else ([path], [])
            if in_programs:
                beside |= {routine_name(p) for p in routine_files(path.parent.parent)}
        if not path.exists():
            catalog.problems.append(Problem(str(path), 1, "", "no such file or folder"))
            continue
        for file in routines:
            _add(catalog.routines, file, load_routine, catalog, seen, read)
        for file in programs:
            _add(catalog.programs, file, load_program, catalog, seen, read)
    _check_program_routines(catalog, beside)
    return catalog


def _read(file: Path, loader: Callable[[Path], T]) -> T:
    return loader(file)


def _add(
    into: dict, file: Path, loader: Callable, catalog: Catalog, seen: dict[str, str], read: Read
) -> None:
    """Load one file; only a valid file claims its name (case-blind), so a broken
    ``Cheek-Hold.toml`` can never push out a good ``cheek-hold.toml`` beside it."""
    try:
        loaded = read(file, loader)
    except InvalidFileError as error:
        catalog.problems.extend(error.problems)
        return
    name = routine_name(file)
    key = f"{loader.__name__}:{name.lower()}"
    if key in seen:
        message = f"duplicate name '{name}': {seen[key]} has it already"
        catalog.problems.append(Problem(str(file), 1, "", message))
        return
    seen[key] = str(file)
    into[name] = loaded


def _check_program_routines(catalog: Catalog, beside: set[str]) -> None:
    """A program may only name routines that exist (checked once all files are read): in
    the catalog, or (for a program file checked alone) as files in its routines folder."""
    known = set(catalog.routines) | beside
    for program in catalog.programs.values():
        for number, phase in enumerate(program.phases, start=1):
            for name in phase.routines:
                if name not in known:
                    message = f"names routine '{name}', which is not in the folder"
                    catalog.problems.append(
                        Problem(program.path, phase.line, f"phase {number}", message)
                    )
