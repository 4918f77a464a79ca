"""`massage-timer edit` driven by a scripted fake $EDITOR (tests/cli/fake_editor.py):
checked before it is installed, reopened with the problems on top, installed atomically
with the owner and mode the service needs, or left unchanged when the person gives up."""

from __future__ import annotations

import io
import json
import os
import stat
import sys
import tempfile
from pathlib import Path

import pytest

from device.cli.main import main
from tests.daemon_helpers import routines_dir

FAKE_EDITOR = Path(__file__).with_name("fake_editor.py")


class Editor:
    """The fake editor's script and what it saw."""

    def __init__(self, tmp_path: Path, monkeypatch) -> None:
        self.steps = tmp_path / "steps.json"
        self.seen_file = tmp_path / "seen.jsonl"
        monkeypatch.setenv("EDITOR", f"{sys.executable} {FAKE_EDITOR}")
        monkeypatch.delenv("VISUAL", raising=False)
        monkeypatch.setenv("FAKE_EDITOR_STEPS", str(self.steps))
        monkeypatch.setenv("FAKE_EDITOR_SEEN", str(self.seen_file))

    def will(self, *steps: dict) -> None:
        self.steps.write_text(json.dumps(list(steps)))

    @property
    def seen(self) -> list[dict]:
        return [json.loads(line) for line in self.seen_file.read_text().splitlines()]


@pytest.fixture
def editor(tmp_path, monkeypatch) -> Editor:
    private = tmp_path / "tmp"  # where edit keeps its copies: never the machine's /tmp
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    return Editor(tmp_path, monkeypatch)


@pytest.fixture
def folder(tmp_path) -> Path:
    return routines_dir(tmp_path)


def edit(folder: Path, name: str, answers: str = "") -> int:
    sys.stdin = io.StringIO(answers)
    try:
        return main(["--routines", str(folder), "edit", name])
    finally:
        sys.stdin = sys.__stdin__


def test_a_good_edit_is_installed_whole_with_the_same_owner_and_mode(folder, editor, capsys):
    demo = folder / "demo.toml"
    demo.chmod(0o640)
    editor.will({"replace": ['title = "Quick demo"', 'title = "Quicker demo"']})
    assert edit(folder, "demo") == 0
    assert 'title = "Quicker demo"' in demo.read_text()
    assert stat.S_IMODE(demo.stat().st_mode) == 0o640
    assert sorted(os.listdir(folder)) == ["demo.toml", "jawline-and-chin.toml"]  # no temp
    assert f"installed {demo}" in capsys.readouterr().err
    assert not Path(editor.seen[0]["path"]).parent.exists()  # the private copy is gone


def test_problems_reopen_the_copy_until_it_is_right(folder, editor, capsys):
    demo = folder / "demo.toml"
    editor.will(
        {"replace": ['duration = "20s"', 'duration = "soon"']},
        {"replace": ['duration = "soon"', 'duration = "25s"']},
    )
    assert edit(folder, "demo", answers="y\n") == 0
    reopened = editor.seen[1]["text"].splitlines()
    assert reopened[0].startswith("#! massage-timer edit: this version has problems")
    problem = next(line for line in reopened if "must be a duration" in line)
    number = int(problem.split()[2].rstrip(":"))  # "#! line N: step …"
    assert 'duration = "soon"' in reopened[number - 1]  # the line named, in this file
    text = demo.read_text()
    assert 'duration = "25s"' in text and "#!" not in text
    assert "must be a duration" in capsys.readouterr().err


def test_giving_up_leaves_the_routine_unchanged_and_keeps_the_edit(folder, editor, capsys):
    demo = folder / "demo.toml"
    before = (demo.read_bytes(), demo.stat().st_ino)
    editor.will({"replace": ['duration = "20s"', 'duration = "soon"']})
    assert edit(folder, "demo", answers="n\n") == 1
    assert (demo.read_bytes(), demo.stat().st_ino) == before
    err = capsys.readouterr().err
    assert f"massage-timer: error: {demo} is unchanged; your edit is kept in" in err
    kept = Path(err.rsplit("kept in ", 1)[1].strip())
    assert 'duration = "soon"' in kept.read_text()
    kept.unlink()
    kept.parent.rmdir()


def test_no_answer_is_giving_up(folder, editor):
    editor.will({"write": "title = 3\n"})
    before = (folder / "demo.toml").read_bytes()
    assert edit(folder, "demo", answers="") == 1  # ssh without a terminal: end of input
    assert (folder / "demo.toml").read_bytes() == before


def test_quitting_without_saving_changes_nothing(folder, editor, capsys):
    demo = folder / "demo.toml"
    mtime = demo.stat().st_mtime_ns
    editor.will({})
    assert edit(folder, "demo") == 0
    assert demo.stat().st_mtime_ns == mtime
    assert "no changes" in capsys.readouterr().err


def test_a_failing_editor_installs_nothing(folder, editor, capsys):
    before = (folder / "demo.toml").read_bytes()
    editor.will({"exit": 3})
    assert edit(folder, "demo") == 1
    assert (folder / "demo.toml").read_bytes() == before
    assert "the editor exited with status 3" in capsys.readouterr().err


def test_a_new_routine_starts_from_a_template_in_the_folders_group(folder, editor):
    folder.chmod(0o2775)  # set-group-ID, as the installer makes it
    editor.will({"replace": ['"Say what to do here."', '"Hold your jaw."']})
    assert edit(folder, "jaw-hold") == 0
    made = folder / "jaw-hold.toml"
    assert 'title = "Jaw hold"' in editor.seen[0]["text"]
    assert stat.S_IMODE(made.stat().st_mode) == 0o664
    assert made.stat().st_gid == folder.stat().st_gid


def test_a_program_is_checked_against_the_routines_folder(folder, editor, capsys):
    (folder / "programs").mkdir()
    editor.will(
        {"replace": ["routines = []", 'routines = ["demo", "gone"]']},
        {"replace": ['"gone"', '"jawline-and-chin"']},
    )
    assert edit(folder, "programs/plan", answers="y\n") == 0
    assert "names routine 'gone'" in capsys.readouterr().err
    assert '"jawline-and-chin"' in (folder / "programs" / "plan.toml").read_text()


def test_a_file_changed_meanwhile_is_not_overwritten(folder, editor, capsys):
    demo = folder / "demo.toml"
    theirs = demo.read_text().replace("Quick demo", "Their demo")
    editor.will(
        {"replace": ["Quick demo", "My demo"], "meanwhile": [str(demo), theirs]},
    )
    assert edit(folder, "demo") == 1
    assert demo.read_text() == theirs
    err = capsys.readouterr().err
    assert "was changed by someone else while you edited; yours is kept in" in err
    assert "My demo" in Path(err.rsplit("kept in ", 1)[1].strip()).read_text()


@pytest.mark.parametrize("name", ["../etc/passwd", "Demo", "a b", "\x1b[2Jx"])
def test_a_bad_name_is_refused(folder, editor, capsys, name):
    assert edit(folder, name) == 1
    err = capsys.readouterr().err
    assert "is not a routine name" in err and "\x1b" not in err
