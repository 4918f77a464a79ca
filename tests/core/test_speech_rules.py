"""Who speaks when, and how loud: the speaker's pure rules, with plain numbers for time."""

from __future__ import annotations

from datetime import datetime, time

import pytest

from device.core.speech_rules import Phrase, QuietHours, SpeechQueue, parse_span
from device.core.timeline import RANK_COUNT, RANK_COUNTDOWN, RANK_CUE, RANK_STEP


def _p(text, rank, due=0.0, length=1.0):
    return Phrase(text, rank, due, length)


def test_a_free_channel_starts_at_once_and_a_higher_rank_cuts_in():
    queue = SpeechQueue()
    assert queue.offer(_p("cue", RANK_CUE, 0, 3), 0.0) == "start"
    assert queue.offer(_p("step", RANK_STEP, 1, 2), 1.0) == "cut"
    assert queue.current.text == "step" and queue.ends == 3.0


def test_an_equal_rank_waits_its_turn_and_starts_when_the_channel_frees():
    queue = SpeechQueue()
    queue.offer(_p("intro", RANK_STEP, 0, 2), 0.0)
    assert queue.offer(_p("first step", RANK_STEP, 0, 1), 0.0) == "wait"
    assert queue.next(1.9) is None and queue.wake_in(1.9) == pytest.approx(0.1)
    assert queue.next(2.0).text == "first step"


def test_a_count_under_other_speech_is_dropped_not_delayed():
    queue = SpeechQueue()
    queue.offer(_p("step", RANK_STEP, 0, 5), 0.0)
    assert queue.offer(_p("two", RANK_COUNT, 3), 3.0) == "drop"
    assert [p.text for p in queue.dropped] == ["two"] and not queue.pending


def test_waiting_phrases_go_highest_rank_first_and_stale_ones_are_dropped():
    queue = SpeechQueue()
    queue.offer(_p("step", RANK_STEP, 0, 4), 0.0)
    queue.offer(_p("ten seconds", RANK_COUNTDOWN, 1), 1.0)  # 3 s late by 4.0: stale
    queue.offer(_p("halfway", RANK_CUE, 3.5), 3.5)
    queue.offer(_p("where", RANK_STEP, 3.6), 3.6)
    assert queue.next(4.0).text == "where"
    assert queue.next(5.0).text == "halfway"
    assert [p.text for p in queue.dropped] == ["ten seconds"]


def test_drop_below_clears_lower_ranks_only():
    queue = SpeechQueue()
    queue.offer(_p("step", RANK_STEP, 0, 4), 0.0)
    queue.offer(_p("cue", RANK_CUE), 0.0)
    queue.offer(_p("finish", RANK_STEP), 0.0)
    queue.drop_below(RANK_STEP)
    assert [p.text for p in queue.pending] == ["finish"]


@pytest.mark.parametrize(
    ("span", "hour", "quiet"),
    [
        ("22:00-07:00", 23, True),
        ("22:00-07:00", 6, True),
        ("22:00-07:00", 12, False),
        ("13:00-14:00", 13, True),
        ("13:00-14:00", 14, False),
        ("", 3, False),
        ("late evening", 23, False),
    ],
)
def test_quiet_hours(span, hour, quiet):
    hours = QuietHours.parse(span, wall=lambda: datetime(2024, 1, 1, hour, 30))
    assert hours.now() is quiet


def test_a_span_is_two_clock_times():
    assert parse_span("22:00-07:00") == (time(22), time(7))
    assert parse_span(" 6:30 - 7:05 ") == (time(6, 30), time(7, 5))
    for bad in ("22-7", "22:00", "24:00-07:00", "22:00-07:60", "ten to six"):
        assert parse_span(bad) is None, bad
