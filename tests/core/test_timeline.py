"""The cue planner: what is said and played, and at which offset."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings

from device.core.routine import load_routine
from device.core.timeline import (
    RANK_COUNT,
    RANK_COUNTDOWN,
    RANK_CUE,
    RANK_STEP,
    RANK_TICK,
    all_phrases,
    plan,
    where_phrases,
)
from tests.core_helpers import ROUTINES, dumps, load_text, routine_of, routine_tables

DEMO_SWEEP = (
    "Start on your left cheek, fingertips beside your nose. Sweep slowly out along the "
    "cheekbone to your ear. One sweep for each count."
)
DEMO_FOREHEAD = (
    "Place your fingertips just above your brows. Stroke up to your hairline on each soft "
    "tick. Light pressure, like stroking a peach."
)
DEMO_JAW = (
    "Rest two fingers on the muscle just in front of each ear. Press gently and hold. "
    "Three beeps mark the end."
)


def flat(timeline) -> list[tuple[float, str, str]]:
    """Every step cue as (routine offset, kind, content)."""
    return [
        (round(sp.start + c.at, 2), c.kind, c.content) for sp in timeline.steps for c in sp.cues
    ]


def cues_of(step_plan, kind=None) -> list[tuple[float, str]]:
    return [(round(c.at, 2), c.content) for c in step_plan.cues if kind in (None, c.kind)]


def test_demo_timeline_in_full():
    timeline = plan(load_routine(ROUTINES / "demo.toml"))
    oil = "Warm two or three drops of oil between your palms. Press play when you are ready."
    beeps = lambda *at: [(t, "sound", "beep") for t in at]  # noqa: E731 - a table helper
    assert flat(timeline) == [
        (0.0, "sound", "chime"),
        (0.0, "say", oil),
        (0.0, "sound", "chime"),
        (0.0, "say", DEMO_SWEEP),
        (3.33, "say", "two"),
        (6.67, "say", "three"),
        *beeps(7.0, 8.0, 9.0),
        (10.0, "sound", "chime"),
        (10.0, "say", "Switch. Now your right cheek."),
        (13.33, "say", "two"),
        (16.67, "say", "three"),
        *beeps(17.0, 18.0, 19.0),
        (20.0, "sound", "chime"),
        (20.0, "say", DEMO_FOREHEAD),
        *[(t, "sound", "tick") for t in (23.0, 26.0, 29.0)],
        (30.0, "say", "Halfway. Keep your brows relaxed."),
        *[(t, "sound", "tick") for t in (32.0, 35.0)],
        *beeps(37.0, 38.0, 39.0),
        (40.0, "sound", "chime"),
        (40.0, "say", DEMO_JAW),
        (49.0, "say", "Let your teeth part. Let your jaw go heavy."),
        *beeps(57.0, 58.0, 59.0),
    ]
    assert [sp.start for sp in timeline.steps] == [0.0, 0.0, 20.0, 40.0]
    assert timeline.total == 60.0
    assert [c.content for c in timeline.intro] == [
        "Quick demo. One minute. Listen for the counts, the soft ticks, and the three beeps "
        "before each change."
    ]
    assert [(c.kind, c.content) for c in timeline.finish] == [
        ("sound", "bell"),
        ("say", "That was the demo. Every routine works the same way. Well done."),
    ]


def test_sides_split_the_step_with_a_switch():
    routine = routine_of(
        {
            "name": "Cheeks",
            "say": "Sweep.",
            "duration": "1m",
            "sides": True,
            "first_side": "right",
            "countdown": 0,
            "warning": "0s",
        }
    )
    (step_plan,) = plan(routine).steps
    assert cues_of(step_plan) == [
        (0.0, "chime"),
        (0.0, "Sweep."),
        (30.0, "chime"),
        (30.0, "Switch to your left side."),
    ]


def test_reps_are_counted_evenly_per_side():
    routine = routine_of(
        {"name": "S", "say": "Go.", "duration": 24, "sides": True, "reps": 4, "countdown": 0}
    )
    counts = [(round(c.at, 2), c.content) for c in plan(routine).steps[0].cues if c.rank == 1]
    assert counts == [
        (3.0, "two"),
        (6.0, "three"),
        (9.0, "four"),
        (15.0, "two"),
        (18.0, "three"),
        (21.0, "four"),
    ]


def test_tempo_ticks_stop_before_the_countdown():
    routine = routine_of({"name": "S", "say": "Go.", "duration": 12, "tempo": "2s"})
    step_plan = plan(routine).steps[0]
    assert [c.at for c in step_plan.cues if c.content == "tick"] == [2.0, 4.0, 6.0, 8.0]
    assert [c.at for c in step_plan.cues if c.content == "beep"] == [9.0, 10.0, 11.0]


def test_ticks_without_a_countdown_leave_the_last_second_quiet():
    routine = routine_of(
        {"name": "S", "say": "Go.", "duration": 10, "tempo": "2s", "countdown": 0},
        {"name": "T", "say": "Go.", "duration": 9, "tempo": "2s", "countdown": 0},
    )
    ten, nine = plan(routine).steps
    assert [c.at for c in ten.cues if c.content == "tick"] == [2.0, 4.0, 6.0, 8.0]
    assert [c.at for c in nine.cues if c.content == "tick"] == [2.0, 4.0, 6.0]
    assert not [c for c in ten.cues if c.content == "beep"]


def test_warning_comes_before_the_end_of_long_parts_only():
    long, short = routine_of(
        {"name": "Long", "say": "x", "duration": "40s", "warning": "10s"},
        {"name": "Short", "say": "x", "duration": "29s", "warning": "10s"},
    ).steps
    timeline = plan(routine_of(*[_raw(long), _raw(short)]))
    assert cues_of(timeline.steps[0], "say")[1:] == [(30.0, "Ten seconds.")]
    assert cues_of(timeline.steps[1], "say")[1:] == []
    sided = plan(
        routine_of({"name": "S", "say": "x", "duration": "2m", "sides": True, "warning": "15s"})
    ).steps[0]
    assert [(at, text) for at, text in cues_of(sided, "say") if "seconds" in text] == [
        (45.0, "Fifteen seconds."),
        (105.0, "Fifteen seconds."),
    ]


def _raw(step) -> dict:
    return {"name": step.name, "say": step.say, "duration": step.duration, "warning": "10s"}


def test_same_instant_order_is_rank_then_sound_first():
    routine = routine_of(
        {
            "name": "S",
            "say": "Go.",
            "duration": 10,
            "tempo": "1s",
            "reps": 5,
            "countdown": 3,
            "cue": [{"at": "2s", "say": "Cue.", "sound": "bell"}],
        }
    )
    at_two = [(c.rank, c.kind, c.content) for c in plan(routine).steps[0].cues if c.at == 2.0]
    assert at_two == [
        (RANK_CUE, "sound", "bell"),
        (RANK_CUE, "say", "Cue."),
        (RANK_COUNT, "say", "two"),
        (RANK_TICK, "sound", "tick"),
    ]
    assert RANK_STEP > RANK_COUNTDOWN > RANK_CUE > RANK_COUNT > RANK_TICK


def test_fill_ins_are_resolved_at_their_offset():
    routine = routine_of(
        {"name": "First", "say": "{step}, then {next}. {remaining} to go.", "duration": "1m"},
        {
            "name": "Second",
            "say": "{routine}: {step} is last; next is {next}.",
            "duration": "30s",
            "cue": [{"at": "10s", "say": "{remaining} left of {duration}."}],
        },
        title="Evening",
        defaults={"warning": "0s"},
        intro="{routine}. {duration}.",
        finish="{routine} done.",
    )
    timeline = plan(routine)
    assert timeline.intro[0].content == "Evening. One minute thirty."
    assert cues_of(timeline.steps[0], "say") == [
        (0.0, "First, then Second. One minute thirty to go.")
    ]
    assert cues_of(timeline.steps[1], "say") == [
        (0.0, "Evening: Second is last; next is the end."),
        (10.0, "Twenty seconds left of one minute thirty."),
    ]
    assert timeline.finish[1].content == "Evening done."


def test_braces_escape_and_side_fill_in():
    routine = routine_of(
        {
            "name": "S",
            "say": "Use {{gentle}} pressure.",
            "duration": 20,
            "sides": True,
            "switch": "{side} side now.",
        }
    )
    says = cues_of(plan(routine).steps[0], "say")
    assert says[0] == (0.0, "Use {gentle} pressure.")
    assert (10.0, "Right side now.") in says


def test_wait_steps_only_speak_their_instruction():
    routine = routine_of({"name": "Oil", "say": "Apply oil.", "wait": True})
    assert cues_of(plan(routine).steps[0]) == [(0.0, "chime"), (0.0, "Apply oil.")]


def test_where_phrases():
    routine = routine_of(
        {"name": "Oil", "say": "x", "wait": True},
        {"name": "Cheeks", "say": "x", "duration": "1m", "sides": True},
    )
    oil, cheeks = plan(routine).steps
    assert where_phrases(cheeks, 2, "left", 23.4) == [
        "Step 2 of 2. Cheeks.",
        "Left side.",
        "About twenty-five seconds left.",
    ]
    assert where_phrases(cheeks, 2, "", 0.3)[-1] == "About five seconds left."
    assert where_phrases(oil, 2, "", 0) == ["Step 1 of 2. Oil.", "Press play when you are ready."]


def test_all_phrases_holds_every_cue_and_where_answer():
    timeline = plan(load_routine(ROUTINES / "demo.toml"))
    phrases = all_phrases(timeline)
    for step_plan in timeline.steps:
        assert {c.content for c in step_plan.cues if c.kind == "say"} <= phrases
    assert "About ten seconds left." in phrases  # a 10 s side, asked at its start
    assert "Right side." in phrases and "Step 4 of 4. Jaw hold." in phrases
    assert "chime" not in phrases and "About twenty-five seconds left." not in phrases


@pytest.mark.parametrize("path", sorted(ROUTINES.glob("*.toml")), ids=lambda p: p.stem)
def test_bundled_timelines_stay_inside_their_steps(path):
    timeline = plan(load_routine(path))
    for sp in timeline.steps:
        assert all(0 <= c.at < max(sp.step.duration, 1e-9) for c in sp.cues)
        assert [c.at for c in sp.cues] == sorted(c.at for c in sp.cues)
        # every step opens with its chime and then its instruction
        assert [(c.kind, c.content) for c in sp.cues[:2]] == [
            ("sound", "chime"),
            ("say", plan(load_routine(path)).steps[sp.index].cues[1].content),
        ]
        assert sp.cues[1].rank == RANK_STEP


def test_speech_fitting_moves_late_phrases_before_the_countdown():
    routine = routine_of(
        {
            "name": "S",
            "say": "Go.",
            "duration": 20,
            "cue": [{"at": "16s", "say": "Nearly done."}],
        }
    )
    moved = plan(routine, speech_length=lambda text: 2.0).steps[0]
    (cue,) = [c for c in moved.cues if c.content == "Nearly done."]
    first_beep = min(c.at for c in moved.cues if c.content == "beep")
    assert first_beep == pytest.approx(2.0 + 2.0 + 0.3 + 17.0)  # after the intro and "Go."
    assert cue.at + 2.0 <= first_beep
    unmoved = plan(routine).steps[0]
    assert [c.at for c in unmoved.cues if c.content == "Nearly done."] == [16.0]


@given(routine_tables())
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_generated_timelines_are_ordered_and_inside_their_steps(data):
    routine = load_text(dumps(data))
    fitted = plan(routine, speech_length=lambda text: 0.07 * len(text))  # ~ espeak's pace
    for sp in (*plan(routine).steps, *fitted.steps):
        ats = [c.at for c in sp.cues]
        assert all(b >= a - 1e-6 for a, b in itertools.pairwise(ats))  # same instant
        assert all(0 <= at < max(sp.length, 1e-9) for at in ats)
        if not sp.step.wait:
            beeps = [c.at for c in sp.cues if c.rank == RANK_COUNTDOWN and c.kind == "sound"]
            assert len(beeps) <= sp.step.countdown * len(sp.step.side_names)


# -- the instruction before the clock, counts and phases -------------------------

SAY_HOLD = "Lift your cheeks and hold."


def _with_lengths(routine, table=None, default=1.0):
    return plan(routine, lambda text: (table or {}).get(text, default))


def test_a_timed_steps_clock_starts_once_its_instruction_is_said():
    routine = routine_of(
        {"name": "Hold", "say": SAY_HOLD, "duration": "20s", "reps": 2},
        {"name": "Rest", "say": "Rest.", "duration": "10s", "clock_after_say": False},
        intro="Go.",
        defaults={"warning": "0s"},
    )
    timeline = _with_lengths(routine, {SAY_HOLD: 4.0, "Go.": 1.0})
    hold, rest = timeline.steps
    clock = 1.0 + 4.0 + 0.3  # the intro, the instruction, a breath
    assert hold.parts[0].clock == pytest.approx(clock) and hold.length == pytest.approx(clock + 20)
    assert cues_of(hold, "say")[1:] == [(round(clock, 2), "one"), (round(clock + 10, 2), "two")]
    assert min(c.at for c in hold.cues if c.content == "beep") == pytest.approx(clock + 17)
    assert rest.length == 10.0 and rest.start == pytest.approx(clock + 20)  # opted out
    assert timeline.total == pytest.approx(clock + 30)
    assert plan(routine).total == 30.0  # the file alone: clocks start with their steps


def test_the_clock_option_is_inherited_from_defaults_and_lengths_are_said_with_it():
    routine = routine_of(
        {"name": "Hold", "say": "Hold.", "duration": "55s"},
        intro="{duration}.",
        defaults={"clock_after_say": False, "warning": "0s"},
    )
    assert _with_lengths(routine).steps[0].length == 55.0
    routine = routine_of({"name": "Hold", "say": "Hold.", "duration": "55s"}, intro="{duration}.")
    timeline = _with_lengths(routine, default=3.0)
    assert timeline.total == pytest.approx(3.0 + 3.0 + 0.3 + 55)
    assert timeline.intro[0].content == "Fifty-eight seconds."  # from the intro's end


def test_count_words_cycle_with_their_own_seconds_and_restart_on_each_side():
    routine = routine_of(
        {
            "name": "Breathe",
            "say": "Breathe.",
            "duration": "40s",
            "sides": True,
            "count": ["In", "hold", "out {n}"],
            "count_seconds": ["4s", "2s", "4s"],
        },
        defaults={"warning": "0s", "countdown": 0},
    )
    step_plan = _with_lengths(routine, default=0.5).steps[0]
    first, second = step_plan.parts
    said = [
        (round(c.at - first.clock, 2), c.content) for c in step_plan.cues if c.rank == RANK_COUNT
    ]
    assert said[:6] == [
        (0, "In"),
        (4, "hold"),
        (6, "out one"),
        (10, "In"),
        (14, "hold"),
        (16, "out two"),
    ]
    assert len(said) == 2 * 6 and said[6] == (round(second.clock - first.clock, 2), "In")
    assert said[-1][1] == "out two"  # the second side counts from one again


def test_a_warning_never_replaces_a_count_it_moves_or_is_left_out():
    routine = routine_of(
        {"name": "Hold", "say": "Hold.", "duration": "1m", "reps": 6, "warning": "10s"}
    )
    step_plan = _with_lengths(routine, {"Ten seconds.": 1.0}, default=0.5).steps[0]
    counts = [c.at for c in step_plan.cues if c.rank == RANK_COUNT]
    (warning,) = [c.at for c in step_plan.cues if c.content == "Ten seconds."]
    assert all(warning >= at + 0.5 + 0.2 or warning + 1.0 + 0.2 <= at for at in counts)
    assert abs(warning - (step_plan.length - 10)) <= 1.5
    crowded = _with_lengths(routine, {"Ten seconds.": 9.0}, default=0.5).steps[0]
    assert "Ten seconds." not in [c.content for c in crowded.cues]  # nowhere to go: skipped
    assert [c.at for c in crowded.cues if c.rank == RANK_COUNT] == counts  # counts untouched


def test_a_cue_dodges_the_counts_and_never_crosses_a_switch():
    routine = routine_of(
        {
            "name": "Sweep",
            "say": "Sweep.",
            "duration": "40s",
            "sides": True,
            "reps": 4,
            "cue": [{"at": "5s", "say": "Soft hands."}, {"at": "20s", "say": "Soft hands."}],
        },
        defaults={"warning": "0s"},
    )
    step_plan = _with_lengths(routine, {"Soft hands.": 4.0}, default=0.5).steps[0]
    counts = [c.at for c in step_plan.cues if c.rank == RANK_COUNT]
    cues = [c.at for c in step_plan.cues if c.rank == RANK_CUE]
    for at in cues:
        assert all(at >= count + 0.7 or at + 4.2 <= count for count in counts)
    switch = step_plan.parts[1].start
    assert cues[0] + 4.0 <= switch and cues[1] >= step_plan.parts[1].clock
