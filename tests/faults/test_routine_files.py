"""Fault suite, routine files: a stray or broken file never costs a good routine, and the
last good version of each routine outlives a restart (failures 1 and 2 of issue 10)."""

from __future__ import annotations

import os

from device.core.catalog import load_catalog
from device.core.timeline import BROKEN_NEW_FILE, error_phrase, library_phrases
from device.daemon.lastgood import LastGood
from device.daemon.library import Library
from tests.core_helpers import write
from tests.daemon_helpers import routines_dir

GOOD = 'title = "Cheek hold"\n\n[[step]]\nname = "Hold"\nsay = "Hold."\nduration = "20s"\n'


def test_an_invalid_case_twin_never_removes_the_valid_file(tmp_path):
    folder = tmp_path / "routines"
    write(folder, "cheek-hold.toml", GOOD)
    write(folder, "Cheek-Hold.toml", GOOD.replace('"20s"', '"soon"'))
    catalog = load_catalog([folder])
    assert list(catalog.routines) == ["cheek-hold"]
    assert all("duplicate" not in p.message for p in catalog.problems)
    assert list(Library(folder).load().routines) == ["cheek-hold"]  # and after a restart


def test_two_valid_case_twins_still_clash(tmp_path):
    write(tmp_path / "one", "hold.toml", GOOD)
    write(tmp_path / "two", "hold.toml", GOOD.replace("Cheek hold", "Other"))
    catalog = load_catalog([tmp_path / "one", tmp_path / "two"])
    assert catalog.routines["hold"].title == "Cheek hold"
    assert [p.message for p in catalog.problems] == [
        f"duplicate name 'hold': {tmp_path}/one/hold.toml has it already"
    ]


BROKEN = 'title = "Demo"\n\n[[step]]\nname = "x"\nduration = "soon"\n'


def test_the_last_good_version_outlives_a_restart_and_is_said_truthfully(tmp_path, build_rig):
    build_rig().close()  # ran once with a good demo.toml
    (tmp_path / "routines" / "demo.toml").write_text(BROKEN)  # broken while it was off
    rig = build_rig()  # restarted: the same state folder
    routines = rig.loop.controller.routines
    assert routines["demo"].title == "Quick demo"  # the last good version, from disk
    assert rig.loop.controller.selected == "demo"  # the selection did not move
    said = [s for s in rig.output.said if "has an error" in s]
    assert said == [error_phrase("Quick demo")]
    assert said[0] in library_phrases(routines.values())  # rendered, not a chime


def test_a_file_broken_from_the_start_is_not_said_to_have_a_good_version(tmp_path, build_rig):
    routines_dir(tmp_path)
    (tmp_path / "routines" / "extra.toml").write_text(BROKEN)
    rig = build_rig()
    said = [s for s in rig.output.said if "has an error" in s]
    assert said == [BROKEN_NEW_FILE] and "last good" not in said[0]
    assert said[0] in library_phrases(rig.loop.controller.routines.values())


def test_the_kept_copies_follow_the_folder(tmp_path):
    folder, keep = routines_dir(tmp_path), tmp_path / "state" / "last-good"
    library = Library(folder, LastGood(keep))
    library.load()
    assert sorted(os.listdir(keep)) == ["demo.toml", "jawline-and-chin.toml"]  # no temp left
    assert (keep / "demo.toml").read_bytes() == (folder / "demo.toml").read_bytes()
    good = (folder / "demo.toml").read_text()
    (folder / "demo.toml").write_text(good.replace("Quick demo", "Quick demo two"))
    library.load()
    assert "Quick demo two" in (keep / "demo.toml").read_text()
    (folder / "jawline-and-chin.toml").unlink()  # deleted on purpose: its copy goes too
    library.load()
    assert os.listdir(keep) == ["demo.toml"]


def test_a_file_that_breaks_between_the_check_and_the_copy_is_not_kept(tmp_path):
    folder, keep = routines_dir(tmp_path), tmp_path / "last-good"
    last_good = LastGood(keep)
    loaded = Library(folder).load()
    (folder / "demo.toml").write_text(BROKEN)  # saved again just after the load
    last_good.keep(loaded.routines)
    assert sorted(os.listdir(keep)) == ["jawline-and-chin.toml"]
    assert last_good.recall("demo") is None


def test_a_state_folder_that_cannot_be_written_is_said_once_and_loses_nothing(tmp_path, caplog):
    folder = routines_dir(tmp_path)
    (tmp_path / "state").write_text("")  # a file where the state folder should be
    library = Library(folder, LastGood(tmp_path / "state" / "last-good"))
    for _ in range(3):
        assert sorted(library.load().routines) == ["demo", "jawline-and-chin"]
    assert caplog.text.count("cannot keep last good versions") == 1
