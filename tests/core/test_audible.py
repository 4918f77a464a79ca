"""The audible timeline: a routine played through the session and the speaker's own
rules, with given phrase lengths, and what becomes of each phrase."""

from __future__ import annotations

import pytest

from device.core.audible import Fate, audible
from device.core.timeline import RANK_COUNT, estimated_length, plan
from tests.core_helpers import routine_of

INSTRUCTION = "Lift your cheeks and hold."


def _lengths(table: dict[str, float], default: float = 0.5):
    return lambda text: table.get(text, default)


def _played(routine, table, default=0.5, fitted=True):
    """The routine as heard; ``fitted=False`` plays the file's own times, as planned
    without knowing any phrase's length (clocks start with their steps)."""
    length = _lengths(table, default)
    return audible(plan(routine, length if fitted else None), length)


def _phrase(result, text):
    return next(h for h in result.phrases if h.text == text)


def test_a_count_inside_a_long_instruction_becomes_a_tick_and_says_why():
    routine = routine_of(
        {"name": "Lift", "say": INSTRUCTION, "duration": "12s", "reps": 4, "warning": "0s"},
        defaults={"clock_after_say": False},
    )
    result = _played(routine, {INSTRUCTION: 5.0})  # after the 0.5 s intro: until 5.5
    two, three = _phrase(result, "two"), _phrase(result, "three")
    assert (two.fate, two.role, two.due) == (Fate.TICKED, "count", 3.0)
    assert two.why == "the instruction plays until 0:06"
    assert two.start is None and two.lost
    assert (three.fate, three.start, three.end) == (Fate.HEARD, 6.0, 6.5)
    assert [h.text for h in result.lost] == ["two"]
    assert result.lost[0].line == routine.steps[0].line


def test_a_warning_that_falls_on_a_count_is_reported_with_what_drowned_it():
    routine = routine_of(
        {"name": "Hold", "say": "Hold.", "duration": "1m", "reps": 6, "warning": "10s"}
    )
    result = _played(routine, {"Ten seconds.": 1.0}, fitted=False)
    lost = [(h.text, h.fate, h.why) for h in result.lost]
    assert lost == [("six", Fate.TICKED, "warning 'Ten seconds.' plays until 0:51")]
    assert not _played(routine, {"Ten seconds.": 1.0}).lost  # the planner moves or skips it


def test_a_cue_cut_off_by_the_next_step_is_shortened():
    long_cue = "Keep breathing slowly through your nose."
    routine = routine_of(
        {"name": "A", "say": "A.", "duration": "10s", "cue": [{"at": "8s", "say": long_cue}]},
        {"name": "B", "say": "B.", "duration": "10s"},
        defaults={"warning": "0s"},
    )
    result = _played(routine, {long_cue: 12.0}, fitted=False)
    cue = _phrase(result, long_cue)
    assert cue.fate is Fate.SHORTENED and cue.end == pytest.approx(10.0)
    assert cue.why == "cut off at 0:10"
    fitted = _played(routine, {long_cue: 12.0}).lost  # longer than the step: no room
    assert [(h.text, h.fate) for h in fitted] == [(long_cue, Fate.SHORTENED)]
    assert cue.line > routine.steps[0].line  # the cue's own line, for check


def test_a_wait_step_lasts_until_its_speech_ends_then_play_is_pressed():
    routine = routine_of(
        {"name": "Oil", "say": "Apply oil.", "wait": True},
        {"name": "Hold", "say": "Hold.", "duration": "5s", "countdown": 0},
    )
    result = _played(routine, {"Apply oil.": 2.0}, default=1.0)
    intro = result.phrases[0]
    assert intro.role == "intro" and (intro.start, intro.end) == (0.0, 1.0)
    oil = _phrase(result, "Apply oil.")
    assert (oil.role, oil.start, oil.end, oil.fate) == ("instruction", 1.0, 3.0, Fate.HEARD)
    assert result.step_starts == {0: 0.0, 1: 3.0}
    hold = _phrase(result, "Hold.")  # said, and then the 5 s clock starts
    assert (hold.start, hold.end) == (3.0, 4.0)
    assert result.phrases[-1].role == "finish" and result.end == pytest.approx(4.0 + 0.3 + 5.0)


def test_nothing_is_lost_when_every_phrase_fits():
    routine = routine_of(
        {"name": "Sweep", "say": "Sweep.", "duration": "20s", "reps": 4, "sides": True},
        defaults={"warning": "0s"},
    )
    result = _played(routine, {}, default=0.4)
    assert not result.lost
    counts = [h for h in result.phrases if h.rank == RANK_COUNT]
    assert [h.text for h in counts] == ["one", "two", "three", "four"] * 2
    assert {h.role for h in result.phrases} == {"intro", "instruction", "switch", "count", "finish"}


@pytest.mark.parametrize("rate", [100, 150, 220])
def test_the_estimate_grows_with_words_and_shrinks_with_the_rate(rate):
    estimate = estimated_length(rate)
    short, long = estimate("Hold."), estimate("Hold the lift, and breathe slowly. Then release.")
    assert 0 < short < long
    assert estimated_length(rate * 2)(INSTRUCTION) < estimate(INSTRUCTION)
