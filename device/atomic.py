"""Files written so that a power cut leaves the old version or the new one, never half.

A temp file beside the target is written and fsync'd, renamed over the target, and the
folder is fsync'd so the rename itself is on the card. A failed write removes its temp.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def write_atomic(
    path: Path, data: str | bytes, prepare: Callable[[int], None] | None = None
) -> None:
    """Replace ``path`` with ``data``; ``prepare(fd)`` may set the temp file's owner and
    mode before it takes the target's place (it is created private, 0600, then)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # hidden: no watcher sees it
    raw = data.encode() if isinstance(data, str) else data
    temp.unlink(missing_ok=True)  # left by a process of the same id that lost power
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    try:
        with os.fdopen(os.open(temp, flags, 0o600 if prepare else 0o666), "wb") as handle:
            handle.write(raw)
            handle.flush()
            if prepare:
                prepare(handle.fileno())
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)  # a full disk leaves no empty temp file behind
        raise
    sync_folder(path.parent)


def sync_folder(folder: Path) -> None:
    """fsync a folder, so that a rename or a new name in it survives a power cut."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
