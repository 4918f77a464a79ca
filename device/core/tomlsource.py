"""Read a TOML file defensively and remember which line each key is on.

``tomllib`` returns plain dicts without positions, so ``tomllines`` maps
``(table, index, key)`` to line numbers for messages like ``file:12: ...``.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from device.core.tomllines import Where, scan_lines
from device.exc import InvalidFileError, Problem

MAX_FILE_BYTES = 64 * 1024
_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


@dataclass
class Source:
    """A decoded TOML document plus the line of every table and key."""

    path: str
    data: dict[str, Any]
    lines: dict[Where, int] = field(default_factory=dict)

    def line(self, *where: Any) -> int:
        """Line of the most specific known prefix of ``where`` (1 if none)."""
        for end in range(len(where), 0, -1):
            if where[:end] in self.lines:
                return self.lines[where[:end]]
        return 1


def read_source(path: Path, max_bytes: int = MAX_FILE_BYTES) -> Source:
    """Read, decode and parse ``path``; every failure becomes an InvalidFileError."""
    shown = str(path)
    raw = _read_bytes(path, shown, max_bytes)
    text = _decode(raw, shown)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        found = _TOML_POSITION.search(message)
        line = int(found[1]) if found else 1
        message = _TOML_POSITION.sub("", message).strip()
        raise InvalidFileError(
            [Problem(shown, line, "", f"TOML syntax error: {message}")]
        ) from None
    except (ValueError, RecursionError):
        # tomllib lets these escape on absurd input: a 5000-digit number, 20000 nested "["
        message = "TOML syntax error: a value is too long or nested too deeply"
        raise InvalidFileError([Problem(shown, 1, "", message)]) from None
    return Source(shown, data, scan_lines(text))


def _read_bytes(path: Path, shown: str, max_bytes: int) -> bytes:
    try:
        kind = os.stat(path).st_mode  # follows a symlink, as open() would
        if stat.S_ISDIR(kind):
            raise IsADirectoryError
        if not stat.S_ISREG(kind):  # a FIFO would block the daemon's loop in open()
            raise InvalidFileError([Problem(shown, 1, "", "is not a regular file")])
        # O_NONBLOCK: should it turn into a FIFO after the stat, open() still returns at once
        with os.fdopen(os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC), "rb") as handle:
            raw = handle.read(max_bytes + 1) or b""
    except IsADirectoryError:
        raise InvalidFileError([Problem(shown, 1, "", "is a folder, not a file")]) from None
    except OSError as error:
        raise InvalidFileError([Problem(shown, 1, "", f"cannot read: {error.strerror}")]) from None
    if len(raw) > max_bytes:
        limit = f"{max_bytes // 1024} KiB"
        raise InvalidFileError([Problem(shown, 1, "", f"file is larger than {limit}, the limit")])
    if not raw.strip():
        raise InvalidFileError([Problem(shown, 1, "", "file is empty")])
    if b"\0" in raw:
        raise InvalidFileError([Problem(shown, 1, "", "is a binary file, not TOML text")])
    return raw


def _decode(raw: bytes, shown: str) -> str:
    try:
        return raw.decode("utf-8-sig")  # a byte-order mark is still UTF-8 text
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        byte = raw[error.start]
        message = f"is not UTF-8 text (byte 0x{byte:02x}); save it as UTF-8"
        raise InvalidFileError([Problem(shown, line, "", message)]) from None
