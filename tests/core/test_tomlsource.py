"""Reading a routine file never blocks: a FIFO or a link to one is refused before open()."""

from __future__ import annotations

import os
import threading

import pytest

from device.core.tomlsource import read_source
from device.daemon.library import Library
from device.exc import InvalidFileError
from tests.daemon_helpers import routines_dir


def read_in_thread(path):
    """read_source(path) in a thread; (finished within 5 s, what it raised)."""
    raised: list[BaseException] = []

    def read() -> None:
        try:
            read_source(path)
        except BaseException as error:
            raised.append(error)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    thread.join(5)
    if thread.is_alive():  # blocked in open(): a writer end unblocks it, so the test can end
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(5)
        return False, raised
    return True, raised


@pytest.mark.parametrize("link", [False, True])
def test_a_fifo_is_not_a_regular_file(tmp_path, link):
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    path = fifo
    if link:
        path = tmp_path / "linked.toml"
        path.symlink_to(fifo)
    finished, raised = read_in_thread(path)
    assert finished, "read_source blocked on a FIFO"
    assert isinstance(raised[0], InvalidFileError)
    assert str(raised[0]) == f"{path}:1: is not a regular file"


def test_a_fifo_in_the_routines_folder_is_a_problem_not_a_hang(tmp_path):
    folder = routines_dir(tmp_path)
    os.mkfifo(folder / "pipe.toml")
    result: list = []
    thread = threading.Thread(target=lambda: result.append(Library(folder).load()), daemon=True)
    thread.start()
    thread.join(5)
    if thread.is_alive():
        os.close(os.open(folder / "pipe.toml", os.O_WRONLY | os.O_NONBLOCK))
        thread.join(5)
        pytest.fail("loading the folder blocked on a FIFO")
    loaded = result[0]
    assert sorted(loaded.routines) == ["demo", "jawline-and-chin"]
    assert [str(p) for p in loaded.problems] == [f"{folder / 'pipe.toml'}:1: is not a regular file"]


def test_a_folder_and_a_missing_file_still_read_as_before(tmp_path):
    (tmp_path / "dir.toml").mkdir()
    with pytest.raises(InvalidFileError, match="is a folder, not a file"):
        read_source(tmp_path / "dir.toml")
    with pytest.raises(InvalidFileError, match="cannot read: No such file"):
        read_source(tmp_path / "none.toml")
