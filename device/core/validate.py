"""Collect every problem in a TOML table, Mopidy style, instead of stopping at the first.

Each getter returns a usable value (the default when the input is wrong) and
records a Problem, so one pass reports everything wrong with a file.
"""

from __future__ import annotations

import difflib
import functools
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeGuard, TypeVar, cast

from device.core.durations import format_short, parse_duration
from device.core.tomlsource import Source, Where
from device.exc import UNSAFE_CHARACTER, InvalidFileError, Problem

T = TypeVar("T")
N = TypeVar("N", int, float)


class Checker:
    """Typed access to one table of a Source, recording problems as it goes."""

    def __init__(self, source: Source, problems: list[Problem] | None = None) -> None:
        self.source = source
        self.problems: list[Problem] = [] if problems is None else problems

    def report(self, where: Where, label: str, message: str) -> None:
        self.problems.append(Problem(self.source.path, self.source.line(*where), label, message))

    def raise_if_any(self) -> None:
        """Raise with every problem, in line order so they read top to bottom."""
        if self.problems:
            raise InvalidFileError(sorted(self.problems, key=lambda p: p.line))

    def unknown_keys(self, table: dict, allowed: Iterable[str], where: Where, label: str) -> None:
        allowed = list(allowed)
        for key in table:
            if key in allowed:
                continue
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = (
                f"; did you mean '{close[0]}'?" if close else f"; known keys: {', '.join(allowed)}"
            )
            self.report((*where, key), _join(label, key), f"unknown key{hint}")

    def get(self, table: dict, key: str, kind: type, where: Where, label: str, default: Any) -> Any:
        return self.parse(table, key, where, label, default, functools.partial(as_kind, kind=kind))

    def parse(
        self, table: dict, key: str, where: Where, label: str, default: T, parse: Callable[[Any], T]
    ) -> T:
        """``parse(table[key])``; the default when the key is absent, or (reported) wrong."""
        if key not in table:
            return default
        try:
            return parse(table[key])
        except ValueError as error:
            self.report((*where, key), _join(label, key), str(error))
            return default

    def required_text(self, table: dict, key: str, where: Where, label: str) -> str:
        if key not in table:
            noun = label.split()[0] if label else "file"  # "step 2" -> "every step needs one"
            self.report(where, label, f"'{key}' is missing; every {noun} needs one")
            return ""
        text = self.get(table, key, str, where, label, "")
        if isinstance(table[key], str) and not table[key].strip():
            self.report((*where, key), _join(label, key), "must not be empty")
        return text

    def text_list(self, table: dict, key: str, where: Where, label: str) -> tuple[str, ...]:
        items = self.get(table, key, list, where, label, [])
        if not all(isinstance(item, str) for item in items):
            self.report((*where, key), _join(label, key), "must be a list of text in quotes")
            return ()
        try:
            for item in items:
                refuse_unsafe(item)
        except ValueError as error:
            self.report((*where, key), _join(label, key), str(error))
            return ()
        return tuple(items)

    def integer(
        self, table: dict, key: str, where: Where, label: str, default: int, low: int, high: int
    ) -> int:
        return self.parse(table, key, where, label, default, lambda raw: as_int(raw, low, high))

    def duration(
        self,
        table: dict,
        key: str,
        where: Where,
        label: str,
        default: float,
        low: float,
        high: float,
    ) -> float:
        return self.parse(
            table, key, where, label, default, lambda raw: as_duration(raw, low, high)
        )

    def choice(
        self, table: dict, key: str, where: Where, label: str, default: str, choices: Iterable[str]
    ) -> str:
        options = tuple(choices)
        return self.parse(table, key, where, label, default, lambda raw: as_choice(raw, options))


# Each parser returns the value as its kind or raises ValueError with the message to show.


def as_kind(value: object, kind: type[T]) -> T:
    """``value`` itself when it is a ``kind`` (a whole number is a fine float)."""
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return cast(T, float(value))
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"must be {_KIND[kind]}, not {show(value)}")
    if isinstance(value, str):
        refuse_unsafe(value)
    return value


def refuse_unsafe(text: str) -> None:
    """A control or direction character could rewrite a terminal or disguise the text."""
    found = UNSAFE_CHARACTER.search(text)
    if found:
        code = f"U+{ord(found[0]):04X}"
        raise ValueError(
            f"has a control or text-direction character ({code}) at character "
            f"{found.start() + 1}; remove it"
        )


def is_finite_number(value: object) -> TypeGuard[int | float]:
    """A real, finite number: JSON and TOML also allow true, NaN and Infinity."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def as_int(value: object, low: int, high: int) -> int:
    return in_range(as_kind(value, int), low, high)


def in_range(value: N, low: float, high: float) -> N:
    if not low <= value <= high:
        raise ValueError(f"must be {_number(low)} to {_number(high)}, not {_number(value)}")
    return value


def as_duration(raw: object, low: float, high: float) -> float:
    """Seconds from ``"1m30s"``, ``"45s"`` or a number, within ``low`` to ``high``."""
    try:
        seconds = parse_duration(raw)
    except ValueError:
        raise ValueError(f'must be a duration like "45s", "1m30s" or 90, not {show(raw)}') from None
    if not low <= seconds <= high:
        span = f"{format_short(low)} to {format_short(high)}"
        raise ValueError(f"must be {span}, not {show(raw)}")
    return seconds


def as_choice(value: object, choices: Sequence[str]) -> str:
    text = as_kind(value, str)
    if text in choices:
        return text
    close = difflib.get_close_matches(text, choices, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    names = ", ".join(f"'{c}'" for c in choices)
    raise ValueError(f"must be one of {names}, not {show(text)}{hint}")


_KIND = {
    str: "text in quotes",
    int: "a whole number",
    float: "a number",
    bool: "true or false",
    list: "a list",
    dict: "a table",
}


def _join(label: str, key: str) -> str:
    return f"{label}.{key}" if label else key


def _number(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:g}"


def show(value: object) -> str:
    """``value`` as it would be written in the file, for messages."""
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    return repr(value) if not isinstance(value, list) else "a list"
