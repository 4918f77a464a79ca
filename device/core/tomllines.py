"""Which line each table, key and array item of a TOML document starts on.

``tomllib`` returns plain dicts without positions. This scanner walks the text as a
TOML parser would (strings, comments, arrays and inline tables included) but only
notes where things start, for messages like ``file:12: ...``. It runs on text that
``tomllib`` has accepted, so it may take the text to be valid.
"""

from __future__ import annotations

import bisect
import re
import tomllib
from collections.abc import Callable
from typing import Any

Where = tuple[Any, ...]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_BLANK = re.compile(r"(?:[ \t\r\n]|#[^\n]*)*")  # spaces, newlines and comments
_SPACES = re.compile(r"[ \t]*")
_STRINGS = [  # the longer quotes first: '"""' is not an empty string and a quote
    re.compile(r'"""(?:[^"\\]|\\.|"{1,2}(?!"))*"{3,5}', re.DOTALL),
    re.compile(r"'''(?:[^']|'{1,2}(?!'))*'{3,5}"),
    re.compile(r'"(?:[^"\\\n]|\\.)*"'),
    re.compile(r"'[^'\n]*'"),
]
_BARE_VALUE = re.compile(r"[^,\]}#\n]+")  # numbers, booleans, dates


def scan_lines(text: str) -> dict[Where, int]:
    """Map tables, keys and array items to 1-based line numbers (the first one wins).

    ``("title",)`` is a top-level key, ``("step", 2)`` the third ``[[step]]``,
    ``("step", 2, "cue", 0, "at")`` a key of its first ``[[step.cue]]``, and
    ``("tags", 1)`` the second item of ``tags = [...]``.
    """
    scanner = _Scanner(text)
    try:
        return scanner.scan()
    except (IndexError, tomllib.TOMLDecodeError):
        return scanner.lines  # text tomllib would refuse: keep what was found, never fail


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text, self.pos = text, 0
        self.lines: dict[Where, int] = {}
        self._line_starts = [0, *(found.end() for found in re.finditer("\n", text))]
        self._array_items: dict[Where, int] = {}  # [[a.b]] path -> items so far
        self._current: dict[tuple[str, ...], int] = {}  # [[a]] names -> index of the last

    def scan(self) -> dict[Where, int]:
        table: Where = ()
        while self._skip(_BLANK) < len(self.text):
            if self.text.startswith("[[", self.pos):
                table = self._header(2, is_array=True)
            elif self.text.startswith("[", self.pos):
                table = self._header(1, is_array=False)
            else:
                self._key_value(table)
        return self.lines

    def _line(self) -> int:
        return bisect.bisect_right(self._line_starts, self.pos)

    def _note(self, where: Where) -> None:
        self.lines.setdefault(where, self._line())

    def _skip(self, pattern: re.Pattern[str]) -> int:
        found = pattern.match(self.text, self.pos)
        self.pos = found.end() if found else self.pos
        return self.pos

    def _header(self, brackets: int, is_array: bool) -> Where:
        line = self._line()
        self.pos += brackets
        names = self._key()
        self.pos += brackets  # the closing brackets: _key() stopped at them
        table = self._table_path(names, is_array)
        for end in range(1, len(table) + 1):  # [[a.b]] also says where a is first seen
            self.lines.setdefault(table[:end], line)
        return table

    def _table_path(self, names: tuple[str, ...], is_array: bool) -> Where:
        """The path of ``[a.b]`` or ``[[a.b]]``: under the last item of each ``[[a]]``."""
        path: Where = ()
        for depth in range(1, len(names) + 1):
            path = (*path, names[depth - 1])
            if depth == len(names) and is_array:
                index = self._array_items.get(path, 0)
                self._array_items[path] = index + 1
                self._current = {k: v for k, v in self._current.items() if k[:depth] != names}
                self._current[names] = index
                path = (*path, index)
            elif names[:depth] in self._current:
                path = (*path, self._current[names[:depth]])
        return path

    def _key_value(self, table: Where) -> None:
        names = self._key()
        for depth in range(1, len(names) + 1):  # a.b.c = 1 also defines a and a.b here
            self._note((*table, *names[:depth]))
        self.pos += 1  # the "="
        self._skip(_SPACES)
        self._value((*table, *names))

    def _key(self) -> tuple[str, ...]:
        """A bare, quoted or dotted key; the position ends after it."""
        names: list[str] = []
        while True:
            self._skip(_SPACES)
            start = self.pos
            if self.text[start] in "\"'":
                self._skip(_STRINGS[2] if self.text[start] == '"' else _STRINGS[3])
                names.append(tomllib.loads(f"k = {self.text[start : self.pos]}")["k"])
            else:
                names.append(self.text[start : self._skip(_BARE_KEY)])
            self._skip(_SPACES)
            if not self.text.startswith(".", self.pos):
                return tuple(names)
            self.pos += 1

    def _value(self, where: Where) -> None:
        char = self.text[self.pos]
        if char == "[":
            self._items("]", lambda index: self._array_item((*where, index)))
        elif char == "{":
            self._items("}", lambda _: self._key_value(where))
        elif not any(self.pos != self._skip(pattern) for pattern in _STRINGS):
            self._skip(_BARE_VALUE)

    def _items(self, closing: str, read_item: Callable[[int], None]) -> None:
        """The items of an array or inline table, each read by ``read_item(index)``."""
        self.pos += 1
        index = 0
        while self._skip(_BLANK) < len(self.text) and self.text[self.pos] != closing:
            before = self.pos
            read_item(index)
            index += 1
            if self.pos == before:  # only text tomllib would refuse: step on, never hang
                self.pos += 1
            if self._skip(_BLANK) < len(self.text) and self.text[self.pos] == ",":
                self.pos += 1
        self.pos += 1

    def _array_item(self, where: Where) -> None:
        self._note(where)
        self._value(where)
