"""Linux inotify through ctypes on libc: no extra dependency, no polling.

``Inotify`` is a file descriptor you can ``select()`` on; ``read()`` returns the
events that are waiting as ``InotifyEvent`` tuples.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import struct
from typing import NamedTuple

IN_MODIFY = 0x00000002
IN_ATTRIB = 0x00000004
IN_CLOSE_WRITE = 0x00000008
IN_MOVED_FROM = 0x00000040
IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
IN_DELETE = 0x00000200
IN_DELETE_SELF = 0x00000400
IN_MOVE_SELF = 0x00000800
IN_UNMOUNT = 0x00002000
IN_Q_OVERFLOW = 0x00004000
IN_IGNORED = 0x00008000
IN_ONLYDIR = 0x01000000
IN_ISDIR = 0x40000000
IN_NONBLOCK = os.O_NONBLOCK
IN_CLOEXEC = os.O_CLOEXEC

_HEADER = struct.Struct("iIII")  # wd, mask, cookie, len (struct inotify_event)
_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
_libc.inotify_init1.argtypes = [ctypes.c_int]
_libc.inotify_add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]


class InotifyEvent(NamedTuple):
    wd: int
    mask: int
    cookie: int
    name: str


def _check(result: int, what: str) -> int:
    if result < 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")
    return result


class Inotify:
    """One inotify instance; close it when done (or use it as a context manager)."""

    def __init__(self) -> None:
        self.fd = _check(_libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC), "inotify_init1")

    def fileno(self) -> int:
        return self.fd

    def add_watch(self, path: str | os.PathLike, mask: int) -> int:
        """Watch ``path``; returns the watch descriptor events will carry."""
        return _check(_libc.inotify_add_watch(self.fd, os.fsencode(path), mask), str(path))

    def read(self) -> list[InotifyEvent]:
        """Every event waiting now (an empty list when there is none)."""
        try:
            data = os.read(self.fd, 64 * 1024)
        except BlockingIOError:
            return []
        return list(parse(data))

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> Inotify:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def parse(data: bytes):
    """Split a read buffer into events (names are NUL-padded in the kernel's format)."""
    offset = 0
    while offset + _HEADER.size <= len(data):
        wd, mask, cookie, length = _HEADER.unpack_from(data, offset)
        offset += _HEADER.size
        raw = data[offset : offset + length].split(b"\0", 1)[0]
        offset += length
        yield InotifyEvent(wd, mask, cookie, os.fsdecode(raw))
