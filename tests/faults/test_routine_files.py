"""Fault suite, routine files: a stray or broken file never costs a good routine, and the
last good version of each routine outlives a restart (failures 1 and 2 of issue 10)."""

from __future__ import annotations

from device.core.catalog import load_catalog
from device.daemon.library import Library
from tests.core_helpers import write

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
