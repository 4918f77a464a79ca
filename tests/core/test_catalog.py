"""A folder of routines and programs loaded into one catalog; a bad file hides nothing else."""

from __future__ import annotations

from device.core.catalog import load_catalog, program_files, routine_files
from tests.core_helpers import PROGRAMS, ROUTINES, write

GOOD = 'title = "{title}"\n\n[[step]]\nname = "Hold"\nsay = "Hold."\nduration = "20s"\n'
PROGRAM = 'title = "Plan"\n\n[[phase]]\nweeks = [1, 4]\nroutines = [{names}]\n'


def test_the_bundled_folder_loads_without_problems():
    catalog = load_catalog([ROUTINES])
    assert catalog.problems == []
    assert catalog.names == sorted(p.stem for p in ROUTINES.glob("*.toml"))
    assert sorted(catalog.programs) == sorted(p.stem for p in PROGRAMS.glob("*.toml"))


def test_a_broken_file_is_left_out_and_the_others_load(tmp_path):
    write(tmp_path, "good.toml", GOOD.format(title="Good"))
    write(tmp_path, "broken.toml", GOOD.format(title="Broken").replace('"20s"', "twenty"))
    catalog = load_catalog([tmp_path])
    assert catalog.names == ["good"]
    assert [str(p) for p in catalog.problems] == [
        f"{tmp_path}/broken.toml:6: TOML syntax error: Invalid value"
    ]


def test_hidden_and_editor_files_are_ignored(tmp_path):
    for name in ("a.toml", ".a.toml.swp", ".hidden.toml", "#a.toml#", "a.toml~", "notes.txt"):
        write(tmp_path, name, GOOD.format(title="A"))
    assert [p.name for p in routine_files(tmp_path)] == ["a.toml"]
    assert program_files(tmp_path) == []


def test_duplicate_names_across_folders(tmp_path):
    write(tmp_path / "one", "hold.toml", GOOD.format(title="One"))
    write(tmp_path / "two", "hold.toml", GOOD.format(title="Two"))
    catalog = load_catalog([tmp_path / "one", tmp_path / "two"])
    assert catalog.routines["hold"].title == "One"  # the first one wins
    assert [str(p) for p in catalog.problems] == [
        f"{tmp_path}/two/hold.toml:1: duplicate name 'hold': "
        f"{tmp_path}/one/hold.toml has it already"
    ]


def test_the_same_name_for_a_routine_and_a_program_is_fine(tmp_path):
    write(tmp_path, "daily.toml", GOOD.format(title="Daily"))
    write(tmp_path / "programs", "daily.toml", PROGRAM.format(names='"daily"'))
    catalog = load_catalog([tmp_path])
    assert catalog.problems == []
    assert list(catalog.routines) == ["daily"] and list(catalog.programs) == ["daily"]


def test_programs_may_only_name_routines_that_exist(tmp_path):
    write(tmp_path, "hold.toml", GOOD.format(title="Hold"))
    write(tmp_path / "programs", "plan.toml", PROGRAM.format(names='"hold", "nope"'))
    catalog = load_catalog([tmp_path])
    assert [str(p) for p in catalog.problems] == [
        f"{tmp_path}/programs/plan.toml:3: phase 1: "
        "names routine 'nope', which is not in the folder"
    ]


def test_single_files_and_missing_paths(tmp_path):
    routine = write(tmp_path, "hold.toml", GOOD.format(title="Hold"))
    program = write(tmp_path / "programs", "plan.toml", PROGRAM.format(names='"hold"'))
    catalog = load_catalog([routine, program, tmp_path / "gone"])
    assert list(catalog.routines) == ["hold"] and list(catalog.programs) == ["plan"]
    assert [str(p) for p in catalog.problems] == [f"{tmp_path}/gone:1: no such file or folder"]
