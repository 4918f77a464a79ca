"""How the folder watcher reads real inotify events, for each way an editor saves.

Each test does real file operations in a watched folder, then ends with a sentinel
file whose close marks the end (inotify keeps the order of one instance's events),
so what the watcher would have ignored is known without waiting for a timeout.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from inotify_simple import INotify, flags

from device.daemon.library import _FOLDER_MASK, _PARENT_MASK, _SELF_MASK, FolderWatcher
from tests.daemon_helpers import routines_dir

SENTINEL = "zz-end-of-test.txt"


def relevant(folder: Path, act) -> list[str]:
    """Names of the events of ``act()`` in ``folder`` that the watcher reacts to."""
    watcher = FolderWatcher(folder, on_change=lambda: None)
    with INotify() as probe:
        watcher._watches = {
            probe.add_watch(folder.parent, _PARENT_MASK | flags.ONLYDIR): "parent",
            probe.add_watch(folder, _FOLDER_MASK | _SELF_MASK): "folder",
        }
        act()
        (folder.parent / SENTINEL).write_text("end")
        events: list = []
        while not any(e.name == SENTINEL for e in events):
            got = probe.read(timeout=5000)
            assert got, "no inotify event within 5 s"
            events += got
    return [e.name for e in events if e.name != SENTINEL and watcher._matters(e)]


@pytest.fixture
def folder(tmp_path) -> Path:
    return routines_dir(tmp_path)


def test_a_save_in_place_is_one_change(folder):
    """nano, echo >, most editors: truncate, write, close."""
    text = (folder / "demo.toml").read_text()
    assert relevant(folder, lambda: (folder / "demo.toml").write_text(text)) == ["demo.toml"]


def test_vims_save_is_seen_when_the_new_file_is_closed(folder):
    """vim: probe file 4913, move the old file to a backup, write anew, drop the backup."""
    old, text = folder / "demo.toml", (folder / "demo.toml").read_text()

    def vim_save() -> None:
        (folder / "4913").write_text("")
        (folder / "4913").unlink()
        os.rename(old, folder / "demo.toml~")
        with open(old, "w") as new:
            new.write(text)
        (folder / "demo.toml~").unlink()

    assert relevant(folder, vim_save) == ["demo.toml", "demo.toml"]  # moved away, closed


def test_an_atomic_save_is_seen_at_the_rename(folder):
    """A temporary file renamed over the routine: only the rename counts."""
    text = (folder / "demo.toml").read_text()

    def atomic_save() -> None:
        (folder / ".demo.toml.tmp").write_text(text)
        os.rename(folder / ".demo.toml.tmp", folder / "demo.toml")

    assert relevant(folder, atomic_save) == ["demo.toml"]


def test_a_new_file_counts_when_closed_not_when_created(folder):
    def create_then_close() -> None:
        with open(folder / "evening.toml", "w") as new:
            new.write("title = ")
            new.flush()
            (folder / "marker.txt").write_text("")  # events so far: create, not closed

    assert relevant(folder, create_then_close) == ["evening.toml"]


def test_deleting_a_routine_counts_and_scratch_files_do_not(folder):
    def edit_scratch_then_delete() -> None:
        for name in (".demo.toml.swp", "demo.toml~", "#demo.toml#", "notes.txt"):
            (folder / name).write_text("scratch")
            (folder / name).unlink()
        (folder / "demo.toml").unlink()

    assert relevant(folder, edit_scratch_then_delete) == ["demo.toml"]


def test_the_folder_itself_going_and_coming_counts_a_sibling_does_not(folder):
    def churn() -> None:
        (folder.parent / "other").mkdir()
        for name in os.listdir(folder):
            (folder / name).unlink()
        folder.rmdir()
        folder.mkdir()

    names = relevant(folder, churn)
    assert "other" not in names
    assert names.count(folder.name) == 2  # deleted, created (from the parent's watch)


def test_stop_closes_the_inotify_descriptor(folder):
    watcher = FolderWatcher(folder, on_change=lambda: None)
    watcher.start()
    inotify = watcher.inotify
    assert inotify is not None and not inotify.closed
    watcher.stop()
    assert inotify.closed
