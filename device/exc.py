"""Exceptions raised by massage-timer (one module, as in gpiozero's ``exc.py``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file, printed as ``path:line: where: what``."""

    path: str
    line: int
    where: str
    message: str

    def __str__(self) -> str:
        where = f" {self.where}:" if self.where else ""
        return f"{self.path}:{self.line}:{where} {self.message}"


class MassageTimerError(Exception):
    """Base class for every error massage-timer raises on purpose."""


class InvalidFileError(MassageTimerError, ValueError):
    """A routine, program or config file has one or more problems."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class UnknownRoutineError(MassageTimerError, KeyError):
    """No routine of that name is in the library."""

    def __init__(self, name: str, known: Iterable[str] = ()) -> None:
        self.name = name
        self.known = sorted(known)
        super().__init__(name)

    def __str__(self) -> str:
        return f"no routine named '{self.name}'; known routines: {', '.join(self.known) or 'none'}"
