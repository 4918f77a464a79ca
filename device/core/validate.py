"""Collect every problem in a TOML table, Mopidy style, instead of stopping at the first.

Each getter returns a usable value (the default when the input is wrong) and
records a Problem, so one pass reports everything wrong with a file.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from device.core.durations import format_short, parse_duration
from device.core.tomlsource import Source, Where
from device.exc import InvalidFileError, Problem

_MISSING = object()


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
        value = table.get(key, _MISSING)
        if value is _MISSING:
            return default
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            self.report(
                (*where, key), _join(label, key), f"must be {_KIND[kind]}, not {_show(value)}"
            )
            return default
        return value

    def required_text(self, table: dict, key: str, where: Where, label: str) -> str:
        if key not in table:
            noun = label.split()[0] if label else "file"  # "step 2" -> "every step needs one"
            self.report(where, label, f"'{key}' is missing; every {noun} needs one")
            return ""
        text = self.get(table, key, str, where, label, "")
        if key in table and isinstance(table[key], str) and not text.strip():
            self.report((*where, key), _join(label, key), "must not be empty")
        return text

    def text_list(self, table: dict, key: str, where: Where, label: str) -> tuple[str, ...]:
        items = self.get(table, key, list, where, label, [])
        if not all(isinstance(item, str) for item in items):
            self.report((*where, key), _join(label, key), "must be a list of text in quotes")
            return ()
        return tuple(items)

    def integer(
        self, table: dict, key: str, where: Where, label: str, default: int, low: int, high: int
    ) -> int:
        value = self.get(table, key, int, where, label, default)
        if not low <= value <= high:
            self.report((*where, key), _join(label, key), f"must be {low} to {high}, not {value}")
            return default
        return value

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
        if key not in table:
            return default
        raw = table[key]
        try:
            seconds = parse_duration(raw)
        except ValueError:
            message = f'must be a duration like "45s", "1m30s" or 90, not {_show(raw)}'
            self.report((*where, key), _join(label, key), message)
            return default
        if not low <= seconds <= high:
            span = f"{format_short(low)} to {format_short(high)}"
            self.report((*where, key), _join(label, key), f"must be {span}, not {_show(raw)}")
            return default
        return seconds

    def choice(
        self, table: dict, key: str, where: Where, label: str, default: str, choices: Iterable[str]
    ) -> str:
        choices = list(choices)
        value = self.get(table, key, str, where, label, default)
        if value in choices:
            return value
        close = difflib.get_close_matches(str(value), choices, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        names = ", ".join(f"'{c}'" for c in choices)
        self.report(
            (*where, key), _join(label, key), f"must be one of {names}, not {_show(value)}{hint}"
        )
        return default


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


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    return repr(value) if not isinstance(value, list) else "a list"
