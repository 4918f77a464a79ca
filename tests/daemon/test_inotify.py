"""Real inotify through ctypes: events for real file operations."""

from __future__ import annotations

import os
import select

import pytest

from device.daemon import inotify as ino


def wait_events(watcher: ino.Inotify) -> list[ino.InotifyEvent]:
    ready, _, _ = select.select([watcher], [], [], 5)
    assert ready, "no inotify event within 5 s"
    return watcher.read()


def test_close_after_write_and_move_are_reported_with_names(tmp_path):
    with ino.Inotify() as watcher:
        wd = watcher.add_watch(tmp_path, ino.IN_CLOSE_WRITE | ino.IN_MOVED_TO)
        (tmp_path / "morning.toml").write_text("x")
        event = wait_events(watcher)[0]
        assert (event.wd, event.name) == (wd, "morning.toml")
        assert event.mask & ino.IN_CLOSE_WRITE
        (tmp_path / "new.tmp").write_text("y")
        os.rename(tmp_path / "new.tmp", tmp_path / "evening.toml")
        names = [e.name for e in wait_events(watcher) if e.mask & ino.IN_MOVED_TO]
        assert names == ["evening.toml"] or names == []  # the close may come in its own read
        names += [e.name for e in watcher.read() if e.mask & ino.IN_MOVED_TO]
        assert "evening.toml" in names


def test_read_without_events_returns_nothing(tmp_path):
    with ino.Inotify() as watcher:
        watcher.add_watch(tmp_path, ino.IN_CLOSE_WRITE)
        assert watcher.read() == []


def test_watching_a_missing_path_raises_oserror(tmp_path):
    with ino.Inotify() as watcher, pytest.raises(OSError, match="missing"):
        watcher.add_watch(tmp_path / "missing", ino.IN_CLOSE_WRITE)


def test_deleting_the_folder_reports_delete_self_and_ignored(tmp_path):
    folder = tmp_path / "routines"
    folder.mkdir()
    with ino.Inotify() as watcher:
        watcher.add_watch(folder, ino.IN_DELETE_SELF)
        folder.rmdir()
        masks = [e.mask for e in wait_events(watcher)]
        assert any(m & ino.IN_DELETE_SELF for m in masks)


def test_parse_splits_padded_names():
    header = ino._HEADER.pack(3, ino.IN_CLOSE_WRITE, 0, 16)
    data = header + b"a.toml".ljust(16, b"\0") + ino._HEADER.pack(4, ino.IN_IGNORED, 0, 0)
    assert list(ino.parse(data)) == [
        ino.InotifyEvent(3, ino.IN_CLOSE_WRITE, 0, "a.toml"),
        ino.InotifyEvent(4, ino.IN_IGNORED, 0, ""),
    ]
