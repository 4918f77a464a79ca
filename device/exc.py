"""Exceptions raised by massage-timer (one module, as in gpiozero's ``exc.py``)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# Control characters (but tab and newline) and the Unicode direction controls: written
# raw to a terminal or the journal they can rewrite the screen or reorder what is read.
UNSAFE_CHARACTER = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)


def escaped(text: str) -> str:
    """``text`` with each unsafe character (and newline) written as ``\\u202e``: safe to print."""
    return UNSAFE_CHARACTER.sub(lambda m: f"\\u{ord(m[0]):04x}", text).replace("\n", "\\n")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file, printed as ``path:line: where: what``; printing never
    passes on a control or direction character (a file name may hold any)."""

    path: str
    line: int
    where: str
    message: str

    def __str__(self) -> str:
        where = f" {self.where}:" if self.where else ""
        return escaped(f"{self.path}:{self.line}:{where} {self.message}")


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
