"""The routine loader: bundled files, the format's rules, line numbers, and fuzzing.

The corpus of bad files and their exact messages is walked in tests/cli/test_routines.py.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from device.core.routine import (
    AREAS,
    DEFAULT_SWITCH,
    MAX_SPOKEN,
    STROKES,
    Cue,
    load_routine,
    routine_name,
)
from device.core.timeline import plan
from device.exc import InvalidFileError
from tests.core_helpers import (
    ROUTINES,
    dumps,
    expected_routine,
    load_text,
    routine_of,
    routine_tables,
)

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def messages(text: str | bytes, name: str = "r.toml") -> list[str]:
    """The problems loading ``text`` reports, without the path."""
    with pytest.raises(InvalidFileError) as caught:
        load_text(text, name)
    return [f"{p.line}: {p.where}: {p.message}" for p in caught.value.problems]


# -- the bundled library ---------------------------------------------------------


@pytest.mark.parametrize("path", sorted(ROUTINES.glob("*.toml")), ids=lambda p: p.stem)
def test_every_bundled_routine_loads_and_plans(path):
    routine = load_routine(path)
    assert routine.name == path.stem
    assert routine.title and routine.steps
    assert routine.duration <= 2 * 3600
    timeline = plan(routine)
    assert len(timeline.steps) == len(routine.steps)


def test_there_is_a_bundled_library():
    assert {"demo"} <= {p.stem for p in ROUTINES.glob("*.toml")}
    assert len(list(ROUTINES.glob("*.toml"))) >= 5


# -- what a file means ------------------------------------------------------------


def test_defaults_are_inherited_and_overridden():
    text = """
title = "Inherit"
[defaults]
area = "cheeks"
stroke = "up"
tempo = "3s"
countdown = 2
warning = "5s"
first_side = "right"

[[step]]
name = "One"
say = "First."
duration = 30

[[step]]
name = "Two"
say = "Second."
duration = "1m30s"
area = "jawline"
tempo = "0s"
countdown = 0
sides = true
"""
    one, two = load_text(text).steps
    assert (one.area, one.stroke, one.tempo, one.countdown, one.warning) == (
        "cheeks",
        "up",
        3.0,
        2,
        5.0,
    )
    assert (two.area, two.stroke, two.tempo, two.countdown, two.duration) == (
        "jawline",
        "up",
        0.0,
        0,
        90.0,
    )
    assert two.side_names == ("right", "left")
    assert two.part_length == 45.0


def test_built_in_defaults():
    routine = routine_of({"name": "Hold", "say": "Hold.", "duration": "20s"})
    step = routine.steps[0]
    assert (step.area, step.stroke, step.tempo, step.countdown, step.warning) == (
        "whole_face",
        "still",
        0.0,
        3,
        10.0,
    )
    assert (step.sides, step.side_names, step.reps, step.switch) == (
        False,
        ("",),
        0,
        DEFAULT_SWITCH,
    )
    assert routine.intro == "{routine}. {duration}." and routine.name == "r"


def test_cues_halfway_and_offsets():
    routine = routine_of(
        {
            "name": "Hold",
            "say": "Hold.",
            "duration": "45s",
            "cue": [
                {"at": "halfway", "say": "Half."},
                {"at": "20s", "sound": "bell"},
                {"at": 0, "say": "Now.", "sound": "soft.wav"},
            ],
        }
    )
    assert routine.steps[0].cues == (
        Cue(22.5, "Half.", ""),
        Cue(20.0, "", "bell"),
        Cue(0.0, "Now.", "soft.wav"),
    )


def test_wait_steps_do_not_count_towards_the_duration():
    routine = routine_of(
        {"name": "Oil", "say": "Apply oil.", "wait": True},
        {"name": "Hold", "say": "Hold.", "duration": "1m"},
    )
    assert routine.steps[0].wait and routine.steps[0].duration == 0
    assert routine.duration == 60


def test_all_areas_and_strokes_are_accepted():
    steps = [
        {"name": a, "say": "x", "duration": 5, "area": a, "stroke": s}
        for a, s in zip(AREAS, STROKES * 2, strict=False)
    ]
    assert [s.area for s in routine_of(*steps).steps] == list(AREAS)


def test_steps_remember_their_line():
    text = 'title = "T"\n\n[[step]]\nname = "A"\nsay = "a"\nduration = 5\n\n[[step]]\nname = "B"\n'
    text += 'say = "b"\nduration = 5\n'
    assert [s.line for s in load_text(text).steps] == [3, 8]


def test_every_problem_is_collected_with_its_line():
    text = """title = "Many"

[[step]]
name = "One"
say = "x"
duration = "2h"

[[step]]
name = "Two"
say = "x"
duration = 5
reps = 9

  [[step.cue]]
  at = "9s"
  say = "late"

[[step]]
name = "Three"
say = "{sde}"
wait = true
"""
    assert messages(text) == [
        '6: step 1 ("One").duration: must be 1s to 30m, not "2h"',
        '12: step 2 ("Two").reps: 9 reps in 5s is too fast to count aloud',
        '15: step 2 ("Two").cue 1.at: is past the end of the step, which lasts 5s',
        '20: step 3 ("Three").say: unknown fill-in {sde}; use one of {routine}, {step}, '
        "{next}, {remaining}, {duration}",
    ]


def test_the_routine_length_limit():
    steps = [{"name": f"S{i}", "say": "x", "duration": "30m"} for i in range(5)]
    assert messages(dumps({"title": "Long", "step": steps})) == [
        "1: : routine lasts 150 minutes; the limit is 120"
    ]


def test_spoken_text_limit_is_exact():
    ok = {"name": "S", "say": "a" * MAX_SPOKEN, "duration": 5}
    assert routine_of(ok).steps[0].say == "a" * MAX_SPOKEN
    with pytest.raises(InvalidFileError, match="is 401 characters; the limit is 400"):
        routine_of({**ok, "say": "a" * (MAX_SPOKEN + 1)})


def test_sixty_steps_is_the_limit():
    steps = [{"name": f"S{i}", "say": "x", "duration": 1} for i in range(60)]
    assert len(routine_of(*steps).steps) == 60


def test_a_default_countdown_longer_than_a_short_step_is_allowed():
    """A [defaults] countdown of 5 beeps only inside a 2 s step (it is not an error)."""
    routine = load_text(
        dumps(
            {
                "title": "T",
                "defaults": {"countdown": 5},
                "step": [{"name": "S", "say": "x", "duration": 2}],
            }
        )
    )
    beeps = [c.at for c in plan(routine).steps[0].cues if c.content == "beep"]
    assert beeps == [1.0]


def test_tempo_is_off_or_at_least_half_a_second():
    assert (
        routine_of({"name": "S", "say": "x", "duration": 5, "tempo": "0.5s"}).steps[0].tempo == 0.5
    )
    assert routine_of({"name": "S", "say": "x", "duration": 5, "tempo": 0}).steps[0].tempo == 0
    text = dumps({"title": "T", "step": [{"name": "S", "say": "x", "duration": 5, "tempo": 0.01}]})
    assert messages(text) == ['6: step 1 ("S").tempo: must be "0s" (off) or 0.5s to 1m']


def test_a_byte_order_mark_is_accepted():
    text = '\ufefftitle = "T"\n[[step]]\nname = "S"\nsay = "x"\nduration = 5\n'
    assert load_text(text.encode("utf-8")).title == "T"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('title = "T"\nstep = []\n', "2: : no steps; add at least one [[step]] table"),
        ('title = "T"\n[step]\nname = "S"\n', "2: step: must be a list, not a table"),
        ('title = "T"\nstep = [1]\n', "2: step 1: must be a [[step]] table"),
        (
            'title = "T"\n[[step]]\nname = "S"\nsay = "x"\nduration = 5\ncue = ["x"]\n',
            '6: step 1 ("S").cue 1: must be a [[step.cue]] table',
        ),
        (
            'title = "T"\n[[step]]\nname = "S"\nsay = "x"\nduration = 1' + "0" * 400 + "\n",
            '5: step 1 ("S").duration: must be 1s to 30m, not 1' + "0" * 400,
        ),
        ("a = " + "[" * 5000 + "\n", "1: : TOML syntax error: a value is too long or nested too "),
        ("a = 1" + "0" * 5000 + "\n", "1: : TOML syntax error: a value is too long or nested too "),
    ],
)
def test_odd_shapes_are_problems_not_crashes(text, message):
    assert messages(text)[0].startswith(message)


def test_a_folder_is_not_a_file(tmp_path):
    folder = tmp_path / "x.toml"
    folder.mkdir()
    with pytest.raises(InvalidFileError, match="is a folder, not a file"):
        load_routine(folder)


def test_routine_name_is_the_file_name():
    assert routine_name(Path("a/b/morning-depuff.toml")) == "morning-depuff"


@pytest.mark.parametrize("name", ["Morning.toml", "-x.toml", "a b.toml", "café.toml", "a_b.toml"])
def test_bad_file_names(name):
    text = 'title = "T"\n[[step]]\nname = "S"\nsay = "x"\nduration = 5\n'
    assert messages(text, name) == [
        "1: : file name must be lowercase letters, digits and dashes, ending .toml"
    ]


# -- hypothesis -----------------------------------------------------------------------


@given(routine_tables())
@FUZZ
def test_generated_routines_round_trip(data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "generated.toml"
        path.write_text(dumps(data), encoding="utf-8")
        loaded = load_routine(path)
    steps = tuple(dataclasses.replace(step, line=0) for step in loaded.steps)
    assert dataclasses.replace(loaded, steps=steps) == expected_routine(
        data, "generated", str(path)
    )
    # and whatever loads also plans, with every cue inside its step
    for step_plan in plan(loaded).steps:
        assert all(0 <= c.at < max(step_plan.step.duration, 1e-9) for c in step_plan.cues)


@given(st.binary(max_size=300))
@FUZZ
def test_arbitrary_bytes_never_crash_the_loader(raw):
    _load_or_invalid(raw)


@given(st.text(max_size=300))
@FUZZ
def test_arbitrary_text_never_crashes_the_loader(text):
    _load_or_invalid(text)


_KEYS = st.sampled_from(
    "title intro finish tags name say duration wait sides reps tempo countdown warning area "
    "first_side switch at sound x".split()
)
_SCALARS = st.one_of(
    st.booleans(),
    st.integers(-5, 5000),
    st.floats(allow_nan=True),
    st.sampled_from(["", "halfway", "20s", "1m", "{step}", "{step:d}", "{side}", "{", "left"]),
    st.text(max_size=8),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=12,
)


@st.composite
def routine_like(draw) -> dict:
    """Routine-shaped data with wrong types and values in every slot."""
    step = st.dictionaries(_KEYS, _VALUES, max_size=6)
    data = draw(st.dictionaries(_KEYS, _VALUES, max_size=4))
    if draw(st.booleans()):
        data["defaults"] = draw(st.dictionaries(_KEYS, _SCALARS, max_size=4))
    data["step"] = draw(
        st.lists(step.map(lambda s: {**s, "cue": [s]} if "at" in s else s), max_size=3)
    )
    return data


@given(routine_like())
@FUZZ
def test_structured_nonsense_is_reported_not_crashed_on(data):
    routine = _load_or_invalid(dumps(data))
    if routine is not None:  # whatever the loader accepts, the planner can plan
        plan(routine)


def _load_or_invalid(content: str | bytes):
    try:
        return load_text(content)
    except InvalidFileError as error:
        assert error.problems and all(p.message for p in error.problems)
        return None


# -- counts and the clock ---------------------------------------------------------

COUNTED = 'title = "T"\n[[step]]\nname = "Breathe"\nsay = "Breathe."\nduration = "30s"\n'


def test_count_words_and_their_seconds_load():
    routine = load_text(
        COUNTED + 'count = ["In", "hold {n}", "out"]\ncount_seconds = ["4s", 2, "4s"]\n'
    )
    step = routine.steps[0]
    assert (step.count, step.count_seconds, step.clock_after_say) == (
        ("In", "hold {n}", "out"),
        (4.0, 2.0, 4.0),
        True,
    )
    single = load_text(COUNTED + 'count = ["Lift", "release"]\ncount_seconds = "5s"\n')
    assert single.steps[0].count_seconds == (5.0, 5.0)


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ('count = ["In"]\n', "2: step 1 (\"Breathe\"): 'count_seconds' is missing"),
        ('count_seconds = ["4s"]\n', "6: step 1 (\"Breathe\").count_seconds: needs 'count'"),
        (
            'count = ["In", "out"]\ncount_seconds = ["4s"]\n',
            '7: step 1 ("Breathe").count_seconds: has 1 values for 2 count words',
        ),
        (
            'count = ["In", "out"]\ncount_seconds = ["20s", "20s"]\n',
            '7: step 1 ("Breathe").count_seconds: one cycle lasts 40s, longer than',
        ),
        (
            'count = ["In"]\ncount_seconds = "3s"\nreps = 3\n',
            "2: step 1 (\"Breathe\"): use 'reps' to count numbers or 'count' for words",
        ),
        (
            'count = ["Hold {side}"]\ncount_seconds = "3s"\n',
            '6: step 1 ("Breathe").count: the only fill-in a count word takes is {n}',
        ),
        ('clock_after_say = "yes"\n', '6: step 1 ("Breathe").clock_after_say: must be true or'),
    ],
)
def test_bad_counts_are_reported_with_their_line(extra, problem):
    assert any(m.startswith(problem) for m in messages(COUNTED + extra)), messages(COUNTED + extra)


def test_the_clock_can_start_with_the_instruction_for_the_whole_routine():
    routine = load_text('title = "T"\n[defaults]\nclock_after_say = false\n' + COUNTED[11:])
    assert routine.steps[0].clock_after_say is False
