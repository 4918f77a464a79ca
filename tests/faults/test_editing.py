"""Fault suite, editing over SSH: `check` sees what the service would trip on, printed
text cannot drive the terminal, and odd files in the folder are noticed at once
(failure 9 of issue 10; `massage-timer edit` has its own tests in test_edit.py)."""

from __future__ import annotations

import os
import threading

import pytest

from device.cli.main import main
from device.config import paths
from device.daemon.library import FolderWatcher
from tests.core_helpers import write
from tests.daemon_helpers import routines_dir

GOOD = 'title = "Hold"\n\n[[step]]\nname = "Hold"\nsay = "Hold."\nduration = "20s"\n'
SOUND = GOOD + '\n[[step.cue]]\nat = "10s"\nsound = "gong.wav"\n'
PROGRAM = 'title = "Plan"\n\n[[phase]]\nweeks = [1, 4]\nroutines = ["hold", "gone"]\n'


def check(capsys, *argv: str) -> tuple[int, list[str], str]:
    code = main(["check", *argv])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def test_check_reports_a_sound_file_that_is_not_there(tmp_path, capsys):
    sounds = tmp_path / "sounds"
    sounds.mkdir()
    config = write(tmp_path, "config.toml", f'[audio]\nsounds = "{sounds}"\n')
    hold = write(tmp_path / "routines", "hold.toml", SOUND)
    code, out, _ = check(capsys, "--config", str(config), str(hold))
    assert code == 1
    assert out == [
        f"{hold}:8: step 1 (\"Hold\"): sound 'gong.wav' is not a file in the sounds folder "
        f"({sounds})"
    ]
    (sounds / "gong.wav").write_bytes(b"RIFF")
    assert check(capsys, "--config", str(config), str(hold))[0] == 0


def test_check_of_a_program_alone_reports_a_routine_that_is_not_there(tmp_path, capsys):
    write(tmp_path / "routines", "hold.toml", GOOD)
    plan = write(tmp_path / "routines" / "programs", "plan.toml", PROGRAM)
    code, out, _ = check(capsys, str(plan))
    assert (code, out) == (
        1,
        [f"{plan}:3: phase 1: names routine 'gone', which is not in the folder"],
    )


def test_check_reports_a_file_the_service_user_cannot_read(tmp_path, capsys):
    folder = routines_dir(tmp_path)
    (folder / "demo.toml").chmod(0o600)  # saved with a private umask by root
    code, out, _ = check(capsys, "--user", "nobody", str(folder))
    assert code == 1
    assert [line for line in out if "cannot read" in line] == [
        f"{folder / 'demo.toml'}:1: the service's user (nobody) cannot read this; "
        "make the file readable by its group (chmod g+r, group root)"
    ]


def test_check_with_no_arguments_checks_the_configured_folder(tmp_path, capsys):
    folder = routines_dir(tmp_path, "demo")
    config = paths.user_config()  # the test's own XDG folder (tests/conftest.py)
    write(config.parent, config.name, f'[routines]\nfolder = "{folder}"\n')
    code, _, err = check(capsys)
    assert code == 0
    assert f"and {folder}" in err.splitlines()[0] and "checked 1 routines" in err


def test_control_and_direction_characters_never_reach_the_terminal(tmp_path, capsys):
    title = "\\u001b]0;owned\\u0007\\u001b[2J"  # retitle the terminal, clear the screen
    path = write(tmp_path, "hold.toml", GOOD.replace('"Hold"', f'"{title}"', 1))
    odd = write(tmp_path, "\x1b[31mred\u202e.toml", "title = 3\n")  # even in a file name
    code, out, err = check(capsys, str(path), str(odd))
    assert code == 1
    assert "has a control or text-direction character (U+001B) at character 1" in out[0]
    assert not any(ch in "\n".join(out) + err for ch in "\x1b\x07\u202e")
    assert "\\u001b[31mred\\u202e.toml" in out[1]


@pytest.mark.parametrize("make", [os.mkfifo, lambda p: os.symlink("/nowhere", p)])
def test_a_fifo_or_a_symlink_added_to_the_folder_is_noticed_at_once(tmp_path, make):
    folder = routines_dir(tmp_path)
    noticed = threading.Event()
    watcher = FolderWatcher(folder, noticed.set, debounce=0.05)
    watcher.start()
    try:
        make(folder / "odd.toml")
        assert noticed.wait(5), "no reload for the new entry"
    finally:
        watcher.stop()
