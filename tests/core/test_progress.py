"""Program-day arithmetic: week, day, today's session, rest, missed, done, the streak —
and the rules that keep a Pi's clock (jumps, DST, time-zone moves) from miscounting."""

from __future__ import annotations

import datetime as dt

import pytest

from device.core.program import Phase, Program, Sitting
from device.core.progress import (
    Enrolment,
    Practice,
    closing_phrases,
    closing_words,
    local_day,
    program_line,
    progress,
)

START = dt.date(2026, 1, 5)  # a Monday
A, B = Sitting(("a",)), Sitting(("b1", "b2"), "B")
# weeks 1-2 daily (A), weeks 3-4 every other day (B, two routines)
PROGRAM = Program("p", "P", (Phase(1, 2, 1, (A,), minutes=30), Phase(3, 4, 2, (B,))))


def day(n: int) -> dt.date:
    return START + dt.timedelta(days=n - 1)


def did(*numbers: int, routines=("a",)) -> list[Practice]:
    return [Practice(r, day(n), True) for n in numbers for r in routines]


ENROLLED = Enrolment("p", START)


def at(n: int, practice, enrolment=ENROLLED):
    return progress(PROGRAM, enrolment, practice, day(n))


def test_week_and_day_across_a_week_boundary():
    assert (at(7, []).day, at(7, []).plan.week) == (7, 1)
    assert (at(8, []).day, at(8, []).plan.week) == (8, 2)
    assert at(8, []).plan.minutes == 30 and at(8, []).plan.session == A


def test_streak_of_daily_sessions_and_today_still_to_do():
    history = did(1, 2, 3, 4)
    assert at(4, history).streak == 4 and at(4, history).done
    today_open = at(5, history)  # today not done yet: yesterday's streak stands
    assert today_open.streak == 4 and not today_open.done and today_open.missed == 0


def test_a_missed_session_day_breaks_the_streak():
    history = did(1, 2, 4, 5)
    seen = at(5, history)
    assert seen.streak == 2 and seen.missed == 1
    assert at(6, did(1, 2, 3)).streak == 0  # yesterday (day 5) missed, today open


def test_rest_days_do_not_break_it_but_count_as_kept():
    both = ("b1", "b2")
    history = did(*range(1, 15)) + did(15, 17, routines=both)
    assert at(16, history).rest and at(16, history).streak == 16
    assert at(17, history).streak == 17 and at(17, history).done
    assert at(18, history).streak == 18  # a rest day today is kept
    assert at(19, history).streak == 18 and at(19, history).next_session == day(21)


def test_a_session_of_several_routines_is_done_only_when_all_are():
    history = did(*range(1, 15)) + did(15, routines=("b1",))
    assert not at(15, history).done
    assert at(16, history).streak == 0 and at(16, history).missed == 1


def test_partial_sessions_do_not_count():
    history = [Practice("a", day(1), False), Practice("a", day(1), False)]
    assert not at(1, history).done and at(2, history).missed == 1


def test_two_sessions_in_a_day_count_it_once():
    assert at(2, did(1, 1, 2, 2)).streak == 2


def test_paused_days_are_no_program_days():
    paused = Enrolment("p", START, ((day(3), day(6)),))  # days 3, 4, 5 paused
    seen = at(6, did(1, 2, 6), paused)
    assert seen.day == 3 and seen.streak == 3 and seen.missed == 0
    now_paused = Enrolment("p", START, ((day(3), None),))
    assert at(9, did(1, 2), now_paused).paused and at(9, did(1, 2), now_paused).day == 0
    assert at(9, did(1, 2), now_paused).streak == 2


def test_before_the_start_and_after_the_end():
    ahead = progress(PROGRAM, Enrolment("p", day(3)), [], day(1))
    assert ahead.day == 0 and ahead.plan.starts == day(3)
    assert at(29, []).day == 0 and at(29, []).plan.summary == "Program complete"


# -- the wall clock ------------------------------------------------------------------


def stamp(date: dt.date, hour: int, offset_hours: int) -> float:
    """Wall-clock seconds of ``hour`` local time on ``date`` at UTC+``offset_hours``."""
    local = dt.datetime.combine(date, dt.time(hour), dt.timezone(dt.timedelta(hours=offset_hours)))
    return local.timestamp()


def test_local_day_uses_the_offset_recorded_with_the_session():
    late = stamp(dt.date(2026, 3, 28), 23, 0)  # 23:00 in winter time, London
    assert local_day(late, 0) == dt.date(2026, 3, 28)
    assert local_day(late, 3600) == dt.date(2026, 3, 29)  # read at today's summer offset: wrong


def test_dst_change_neither_doubles_nor_loses_a_day():
    # London: clocks go forward on 29 March 2026. Sessions at 23:30 local each evening.
    days = [dt.date(2026, 3, 27), dt.date(2026, 3, 28), dt.date(2026, 3, 29)]
    offsets = [0, 0, 1]
    practice = [
        Practice("a", local_day(stamp(d, 23, o) + 1800, o * 3600), True)
        for d, o in zip(days, offsets, strict=True)
    ]
    assert [p.day for p in practice] == days
    enrolment = Enrolment("p", dt.date(2026, 3, 27))
    assert progress(PROGRAM, enrolment, practice, days[-1]).streak == 3


def test_a_time_zone_move_west_keeps_each_day_once():
    # Sessions in Berlin (UTC+1) at 07:00, then a flight to New York (UTC-5).
    berlin = [Practice("a", local_day(stamp(day(n), 7, 1), 3600), True) for n in (1, 2)]
    new_york = Practice("a", local_day(stamp(day(3), 7, -5), -5 * 3600), True)
    seen = at(3, [*berlin, new_york])
    assert seen.streak == 3 and seen.done and seen.missed == 0


def test_a_backward_jump_ignores_sessions_from_the_future_until_their_day():
    history = did(1, 2, 3)
    early = at(2, history)  # clock jumped back a day: day 3's session is not counted yet
    assert early.streak == 2 and early.done
    assert at(3, history).streak == 3  # the clock caught up: nothing was lost


def test_a_forward_jump_and_back_does_not_fill_a_missed_day():
    # the clock ran a week ahead during day 2's session; it was stamped day 9
    history = [*did(1), Practice("a", day(9), True)]
    back = at(3, history)
    assert back.missed == 1 and back.streak == 0


@pytest.mark.parametrize("year", [1970, 2000, 2019])
def test_an_unset_clock_gives_no_arithmetic(year):
    seen = progress(PROGRAM, Enrolment("p", START), did(1, 2), dt.date(year, 1, 1))
    assert seen.clock_unset and seen.day == 0 and seen.streak == 0


def test_pause_and_resume_shift_the_program_days():
    enrolment = ENROLLED.pause(day(3))
    assert enrolment.paused and at(4, [], enrolment).day == 0
    enrolment = enrolment.resume(day(5))
    assert not enrolment.paused and at(5, [], enrolment).day == 3
    with pytest.raises(ValueError, match="not paused"):
        enrolment.resume(day(6))
    with pytest.raises(ValueError, match="already paused"):
        enrolment.pause(day(6)).pause(day(7))


def test_the_idle_line_for_scripted_histories():
    assert program_line(at(1, []), "A", 30) == "Week 1 · Day 1 · today: A, 30 min"
    assert (
        program_line(at(3, did(1, 2, 3)), "A", 30) == "Week 1 · Day 3 · 3-day streak · done today ✓"
    )
    both = did(*range(1, 15)) + did(15, routines=("b1", "b2"))
    assert program_line(at(16, both), "B", 0) == "Week 3 · Day 16 · 16-day streak · today: rest"
    assert program_line(at(17, both), "B", 0) == "Week 3 · Day 17 · 16-day streak · today: B"
    assert program_line(at(29, both), "", 0) == "Program complete"
    assert program_line(at(5, [], ENROLLED.pause(day(4))), "A", 30) == "Program paused"
    ahead = progress(PROGRAM, Enrolment("p", day(3)), [], day(1))
    assert program_line(ahead, "A", 30) == "Program starts Wed 07 Jan"


def test_closing_words_name_the_next_session_day_and_are_all_renderable():
    daily = at(3, did(1, 2, 3))
    assert closing_words(daily, day(3)) == ("That's day 3.", "See you tomorrow.")
    other = at(15, did(*range(1, 15)) + did(15, routines=("b1", "b2")))
    assert closing_words(other, day(15)) == ("That's day 15.", "See you on Wednesday.")
    last = at(27, [])
    assert closing_words(last, day(27))[1].startswith("That was the last session")
    phrases = closing_phrases(PROGRAM)
    assert len(phrases) == 28 + 7 + 2
    for seen, today in ((daily, day(3)), (other, day(15)), (last, day(27))):
        assert set(closing_words(seen, today)) <= phrases
