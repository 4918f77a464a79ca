"""Programs: schedules of routines over weeks, and what each day asks for."""

from __future__ import annotations

import datetime as dt

import pytest

from device.core.catalog import load_catalog
from device.core.program import Phase, Program, Sitting, Today, load_program
from device.core.timeline import estimated_length, plan
from device.exc import InvalidFileError
from tests.core_helpers import PROGRAMS, ROUTINES, write

START = dt.date(2026, 1, 5)  # a Monday; day 1 of the program


def day(n: int) -> dt.date:
    """Day ``n`` of the program, counting from 1."""
    return START + dt.timedelta(days=n - 1)


@pytest.mark.parametrize("path", sorted(PROGRAMS.glob("*.toml")), ids=lambda p: p.stem)
def test_every_bundled_program_loads(path):
    program = load_program(path)
    assert program.name == path.stem and program.title and program.phases
    assert program.phases[0].first == 1


def test_the_twenty_week_study_schedule():
    program = load_program(PROGRAMS / "face-yoga-20-weeks.toml")
    assert program.weeks == 20
    assert [(p.first, p.last, p.every_days, p.minutes) for p in program.phases] == [
        (1, 1, 1, 15),
        (2, 8, 1, 30),
        (9, 20, 2, 30),
    ]
    assert all(phase.line > 1 for phase in program.phases)
    # week 1 teaches the form; then the whole face every day
    assert program.today(START, day(1)).session.routines[0] == "face-yoga-form"
    assert {program.today(START, day(n)).session.title for n in range(8, 57)} == {"Whole face"}
    # weeks 9-20: every other day
    week9 = [bool(program.today(START, day(n)).session.routines) for n in range(57, 64)]
    assert week9 == [True, False, True, False, True, False, True]
    assert program.today(START, day(58)).summary == "Week 9 · every other day · today: rest"
    assert program.today(START, day(140)).week == 20
    assert program.today(START, day(141)) == Today(0, 0)
    assert program.today(START, day(141)).summary == "Program complete"


def test_the_twenty_week_sessions_cover_the_study_and_last_their_target():
    catalog = load_catalog([ROUTINES])
    program = catalog.programs["face-yoga-20-weeks"]
    assert not catalog.problems
    areas = set()
    for phase in program.phases:
        for session in phase.sessions:
            lengths = (
                plan(catalog.routines[n], estimated_length()).total for n in session.routines
            )
            planned = sum(lengths)  # as the daemon plans it, with the time speech takes
            assert abs(planned / 60 - phase.minutes) <= 1.5, (session.title, planned)
            for name in session.routines:
                areas |= {step.area for step in catalog.routines[name].steps}
    assert {"cheeks", "jawline", "brows", "forehead", "eyes", "neck"} <= areas


def test_every_few_days_summary():
    program = Program("p", "P", (Phase(1, 2, 3, (Sitting(("a",)), Sitting(("b",)))),))
    assert [program.today(START, day(n)).routine for n in range(1, 8)] == [
        "a",
        "",
        "",
        "b",
        "",
        "",
        "a",
    ]
    assert program.today(START, day(2)).summary == "Week 1 · every 3 days · today: rest"


def test_problems_are_collected(tmp_path):
    text = """title = "Plan"
colour = "blue"

[[phase]]
weeks = [1, "eight"]
every_days = 0
routines = "daily"
"""
    path = write(tmp_path, "Plan.toml", text)
    with pytest.raises(InvalidFileError) as caught:
        load_program(path)
    assert [str(p).removeprefix(f"{path}:") for p in caught.value.problems] == [
        "1: file name must be lowercase letters, digits and dashes, ending .toml",
        "2: colour: unknown key; known keys: title, description, sources, phase",
        "4: phase 1: no 'routines' or 'sessions'; name at least one routine",
        "5: phase 1.weeks: must be [first, last], 1 to 104",
        "6: phase 1.every_days: must be 1 to 7, not 0",
        '7: phase 1.routines: must be a list, not "daily"',
    ]


def test_a_program_needs_phases_and_a_title(tmp_path):
    path = write(tmp_path, "plan.toml", 'description = "Nothing here."\n')
    with pytest.raises(InvalidFileError) as caught:
        load_program(path)
    assert [p.message for p in caught.value.problems] == [
        "no phases; add at least one [[phase]] table",
        "'title' is missing; every file needs one",
    ]


def test_before_the_start_date_the_idle_line_says_when_it_starts():
    program = load_program(PROGRAMS / "face-yoga-20-weeks.toml")
    start = dt.date(2026, 12, 1)
    early = program.today(start, dt.date(2026, 11, 21))  # a start ahead, or an unsynced clock
    assert (early.week, early.routine) == (0, "")
    assert early.summary == "Program starts Tue 01 Dec"
    assert program.today(start, start).summary.startswith("Week 1 · daily · today: ")
