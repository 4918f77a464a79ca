"""The routines folder, live: keep the last good version; watch with real inotify."""

from __future__ import annotations

import os
import shutil
import threading

import pytest

from device.core.catalog import is_routine_file
from device.daemon.library import FolderWatcher, Library
from tests.daemon_helpers import routines_dir

BROKEN = 'title = "Demo"\n\n[[step]]\nname = "x"\nduration = "soon"\n'


def test_loads_the_folder(tmp_path):
    loaded = Library(routines_dir(tmp_path)).load()
    assert sorted(loaded.routines) == ["demo", "jawline-and-chin"]
    assert loaded.problems == [] and loaded.broken == set()


def test_a_broken_file_keeps_the_last_good_version_and_is_reported_once(tmp_path):
    folder = routines_dir(tmp_path)
    library = Library(folder)
    good = library.load().routines["demo"]
    (folder / "demo.toml").write_text(BROKEN)
    loaded = library.load()
    assert loaded.routines["demo"] is good
    assert loaded.kept == ["demo"] and loaded.newly_broken == ["demo"]
    assert any(str(p).startswith(f"{folder / 'demo.toml'}:5:") for p in loaded.problems)
    again = library.load()
    assert again.newly_broken == [] and again.routines["demo"] is good
    shutil.copy(folder / "jawline-and-chin.toml", folder / "demo.toml")
    fixed = library.load()
    assert fixed.broken == set() and fixed.routines["demo"].title != good.title


def test_a_file_is_newly_broken_once_per_broken_state(tmp_path):
    folder = routines_dir(tmp_path)
    library = Library(folder)
    good = (folder / "demo.toml").read_text()
    library.load()
    (folder / "demo.toml").write_text(BROKEN)
    assert library.load().newly_broken == ["demo"]
    (folder / "demo.toml").write_text("\n\n" + BROKEN)  # the same mistake, two lines down
    assert library.load().newly_broken == []
    (folder / "demo.toml").write_text(good)
    assert library.load().newly_broken == []
    (folder / "demo.toml").write_text(BROKEN)  # broken again the same way: not news
    assert library.load().newly_broken == []
    (folder / "demo.toml").write_text(BROKEN.replace('"soon"', '"1 minutes"'))
    assert library.load().newly_broken == ["demo"]  # a different problem is


def test_a_new_broken_file_is_left_out(tmp_path):
    folder = routines_dir(tmp_path)
    (folder / "extra.toml").write_text(BROKEN)
    loaded = Library(folder).load()
    assert "extra" not in loaded.routines and loaded.broken == {"extra"}


def test_a_half_written_file_keeps_the_old_version(tmp_path):
    folder = routines_dir(tmp_path)
    library = Library(folder)
    good = library.load().routines["demo"]
    text = (folder / "demo.toml").read_text()
    (folder / "demo.toml").write_text(text[: len(text) // 2])
    assert library.load().routines["demo"] is good


def test_a_deleted_file_removes_its_routine(tmp_path):
    folder = routines_dir(tmp_path)
    library = Library(folder)
    library.load()
    (folder / "demo.toml").unlink()
    assert sorted(library.load().routines) == ["jawline-and-chin"]


def test_a_missing_or_unusable_folder_keeps_everything(tmp_path):
    folder = routines_dir(tmp_path)
    library = Library(folder)
    library.load()
    shutil.rmtree(folder)
    loaded = library.load()
    assert sorted(loaded.routines) == ["demo", "jawline-and-chin"]
    assert "routines folder is missing" in str(loaded.problems[0])
    folder.write_text("not a folder")
    loaded = library.load()
    assert "is not a readable folder" in str(loaded.problems[0])
    assert len(loaded.routines) == 2


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any folder")
def test_an_unreadable_folder_keeps_everything(tmp_path):
    folder = routines_dir(tmp_path)
    library = Library(folder)
    library.load()
    folder.chmod(0)
    try:
        assert len(library.load().routines) == 2
    finally:
        folder.chmod(0o755)


@pytest.mark.parametrize(
    ("name", "wanted"),
    [
        ("evening.toml", True),
        (".evening.toml.swp", False),
        ("evening.toml~", False),
        ("#evening.toml#", False),
        ("4913", False),
        ("notes.txt", False),
    ],
)
def test_which_names_count_as_routine_files(name, wanted):
    assert is_routine_file(name) is wanted


class Changes:
    """Counts watcher callbacks; ``wait()`` blocks on an Event with a timeout, never sleeps."""

    def __init__(self) -> None:
        self.count = 0
        self.event = threading.Event()

    def __call__(self) -> None:
        self.count += 1
        self.event.set()

    def wait(self) -> None:
        assert self.event.wait(5), "no reload within 5 s"
        self.event.clear()


@pytest.fixture
def watched(tmp_path):
    folder = routines_dir(tmp_path)
    changes = Changes()
    watcher = FolderWatcher(folder, changes, debounce=0.05)
    watcher.start()
    try:
        yield folder, changes, watcher
    finally:
        watcher.stop()


def test_saving_a_file_triggers_one_reload(watched):
    folder, changes, _ = watched
    for _ in range(5):  # a burst of saves is one reload
        (folder / "demo.toml").write_text((folder / "demo.toml").read_text())
    changes.wait()
    assert changes.count == 1


def test_moving_a_file_in_triggers_a_reload(watched, tmp_path):
    folder, changes, _ = watched
    (tmp_path / "new.toml").write_text((folder / "demo.toml").read_text())
    os.rename(tmp_path / "new.toml", folder / "new.toml")
    changes.wait()


def test_a_broken_program_keeps_its_last_good_version(tmp_path):
    folder = routines_dir(tmp_path)
    (folder / "programs").mkdir()
    plan = folder / "programs" / "plan.toml"
    plan.write_text('title = "Plan"\n\n[[phase]]\nweeks = [1, 4]\nroutines = ["demo"]\n')
    library = Library(folder)
    good = library.load().programs["plan"]
    plan.write_text(plan.read_text().replace("[1, 4]", "[1, four]"))
    loaded = library.load()
    assert loaded.programs["plan"] is good
    assert any("plan.toml" in str(p) for p in loaded.problems)
    plan.unlink()
    assert library.load().programs == {}


def test_the_folder_can_go_away_and_come_back(watched):
    folder, changes, _ = watched
    shutil.rmtree(folder)
    changes.wait()
    folder.mkdir()
    changes.wait()
    (folder / "demo.toml").write_text(BROKEN)
    changes.wait()
    assert Library(folder).load().broken == {"demo"}


def test_programs_are_watched_too(watched):
    folder, changes, _ = watched
    (folder / "programs").mkdir()
    changes.wait()
    (folder / "programs" / "plan.toml").write_text("title = 'x'\n")
    changes.wait()
