"""Reading a TOML file: never blocking on a FIFO, and the right line for every key."""

from __future__ import annotations

import os
import threading
import tomllib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from device.core.routine import load_routine
from device.core.tomlsource import Source, read_source, scan_lines
from device.daemon.library import Library
from device.exc import InvalidFileError
from tests.core_helpers import _key as toml_key
from tests.core_helpers import dumps
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


# -- which line each key is on ------------------------------------------------------


def lines_of(text: str) -> dict:
    assert tomllib.loads(text) is not None  # every case is valid TOML
    return scan_lines(text)


def test_a_key_or_header_inside_a_multi_line_string_is_text_not_a_key():
    text = (
        '[[step]]\nname = "Breathe"\n'  # 1-2
        'say = """\nduration = "slowly"\n[[step]]\n"""\n'  # 3-6: all of it is the text
        "duration = \"soon\"\nnote = '''\nreps = 3\n'''\nreps = 4\n"  # 7-11
    )
    lines = lines_of(text)
    assert lines[("step", 0, "duration")] == 7
    assert lines[("step", 0, "reps")] == 11
    assert ("step", 1) not in lines


def test_quotes_inside_strings_do_not_open_a_multi_line_string():
    text = '[[step]]\nsay = \'he said """\'\nname = "a \\"\\"\\" b"\nreps = 2\n'
    assert lines_of(text)[("step", 0, "reps")] == 4


def test_a_dotted_key_is_on_its_own_line():
    text = 'title = "T"\n\ndefaults.area = "cheeks"\ndefaults . tempo = "soon"\n'
    lines = lines_of(text)
    assert lines[("defaults",)] == 3
    assert lines[("defaults", "area")] == 3
    assert lines[("defaults", "tempo")] == 4


def test_a_dotted_key_under_a_table_header():
    text = '[[step]]\nname = "a"\nextra.deep.x = 1\n'
    assert lines_of(text)[("step", 0, "extra", "deep", "x")] == 3


def test_a_quoted_key_is_on_its_own_line():
    text = (
        '[[step]]\nname = "a"\n"duration" = "soon"\n\'reps\' = 3\n"te\\u006Dpo" = "2s"\n"a.b" = 1\n'
    )
    lines = lines_of(text)
    assert lines[("step", 0, "duration")] == 3
    assert lines[("step", 0, "reps")] == 4
    assert lines[("step", 0, "tempo")] == 5
    assert lines[("step", 0, "a.b")] == 6  # one key with a dot in its name


def test_quoted_and_spaced_headers():
    text = '[ "defaults" ]\narea = "x"\n[[ step ]]\nname = "a"\n[[ step . "cue" ]]\nat = 1\n'
    lines = lines_of(text)
    assert lines[("defaults", "area")] == 2
    assert lines[("step", 0)] == 3
    assert lines[("step", 0, "cue", 0, "at")] == 6


def test_each_item_of_an_array_spread_over_lines_has_its_line():
    text = (
        '[[step]]\nname = "a"\ncue = [\n'
        '  { at = "5s", say = "one" },  # the first\n'
        '  { at = "soon", say = """two\n  lines""" },\n'
        ']\ntags = ["a",\n  "b"]\nreps = 2\n'
    )
    lines = lines_of(text)
    assert lines[("step", 0, "cue")] == 3
    assert lines[("step", 0, "cue", 0)] == 4
    assert lines[("step", 0, "cue", 1, "at")] == 5
    assert lines[("step", 0, "tags", 1)] == 9
    assert lines[("step", 0, "reps")] == 10


def test_the_first_line_wins_and_unknown_places_fall_back_to_the_table():
    source = Source("r.toml", {}, lines_of('[[step]]\nname = "a"\n[[step]]\nname = "b"\n'))
    assert source.line("step", 1, "name") == 4
    assert source.line("step", 1, "duration") == 3
    assert source.line("nothing") == 1


def test_a_dotted_key_error_is_reported_at_its_line(tmp_path):
    text = 'title = "T"\ndefaults.tempo = "soon"\n[[step]]\nname = "S"\nsay = "x"\nduration = 5\n'
    (tmp_path / "r.toml").write_text(text)
    with pytest.raises(InvalidFileError) as caught:
        load_routine(tmp_path / "r.toml")
    assert [p.line for p in caught.value.problems] == [2]


# -- round trip: write a document recording each key's line, scan it back -----------

_NAMES = st.sampled_from(["name", "say", "duration", "reps", "area", "a.b", "x y", "é"])
_TRAPS = ['duration = "1m"', "[[step]]", "[defaults]", '"say" = 1', "  reps = 3", "# a = 1"]


@st.composite
def keys(draw, name: str) -> str:
    """``name`` bare when it can be, else (or by choice) in either kind of quotes."""
    bare = name.replace("_", "a").isascii() and name.isidentifier()
    style = draw(st.sampled_from(["bare", '"', "'"] if bare else ['"', "'"]))
    return name if style == "bare" else f"{style}{name}{style}"


@st.composite
def values(draw) -> str:
    """A value, often spread over lines, often holding text that looks like a key."""
    traps = draw(st.lists(st.sampled_from(_TRAPS), max_size=3))
    return draw(
        st.sampled_from(
            [
                "1",
                '"one line \\"\\"\\" with quotes"',
                '\'literal """ with quotes\'',
                '"""\n' + "\n".join([*traps, "'''"]) + '\n"""',
                "'''\n" + "\n".join([*traps, '"""']) + "\n'''",
                '[\n  1,  # a comment ]\n  [2, 3],\n  { k = "]" },\n]',
            ]
        )
    )


@st.composite
def documents(draw) -> tuple[str, dict]:
    """TOML text and the line every key was written on."""
    out: list[str] = []
    lines: dict = {}

    def put(where: tuple, key: str, value: str) -> None:
        lines[where] = len(out) + 1
        out.extend(f"{key} = {value}".split("\n"))

    for name in draw(st.lists(_NAMES, unique=True, max_size=3)):
        put((name,), draw(keys(name)), draw(values()))
    for name in draw(st.lists(_NAMES, unique=True, max_size=3)):  # defaults.name = ...
        put(("defaults", name), f"defaults . {draw(keys(name))}", draw(values()))
    for index in range(draw(st.integers(0, 3))):
        lines[("step", index)] = len(out) + 1
        out.append(draw(st.sampled_from(["[[step]]", '[[ "step" ]]', "[[ step ]]  # next"])))
        for name in draw(st.lists(_NAMES, unique=True, max_size=4)):
            put(("step", index, name), draw(keys(name)), draw(values()))
    return "\n".join(out) + "\n", lines


@given(documents())
@settings(max_examples=200, deadline=None)
def test_every_key_is_found_on_the_line_it_was_written_on(document):
    text, written = document
    found = lines_of(text)
    assert {where: found.get(where) for where in written} == written


_ANY_KEY = st.text(min_size=1, max_size=6)
_ANY_VALUE = st.recursive(
    st.integers() | st.booleans() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_ANY_KEY, inner, max_size=3),
    max_leaves=12,
)


def key_paths(value, path: tuple = ()):
    """Every path to a key in ``value``, with the key itself."""
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for name, inner in items:
        if isinstance(value, dict):
            yield (*path, name), name
        if isinstance(inner, dict | list):
            yield from key_paths(inner, (*path, name))


@given(st.dictionaries(_ANY_KEY, _ANY_VALUE, max_size=4))
@settings(max_examples=300, deadline=None)
def test_any_written_document_has_each_key_on_a_line_that_names_it(data):
    text = dumps(data)
    assert tomllib.loads(text) == data
    found, lines = scan_lines(text), text.split("\n")
    for path, name in key_paths(data):
        assert toml_key(name) in lines[found[path] - 1], path


@pytest.mark.parametrize("text", ["a = [1, }", "a = [", '[[step]]\n"name', "a.", "x = {b = "])
def test_text_tomllib_refuses_neither_hangs_nor_crashes_the_scanner(text):
    with pytest.raises(tomllib.TOMLDecodeError):
        tomllib.loads(text)
    assert isinstance(scan_lines(text), dict)
