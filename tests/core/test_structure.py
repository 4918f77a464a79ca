"""Repeats of a step or a block with rests, sides in any order, {side} in cues, and a
cue's words on the mirror."""

from __future__ import annotations

import pytest

from device.core.session import Command, Session
from device.core.timeline import RANK_COUNT, plan
from tests.core.test_routine import messages
from tests.core_helpers import dumps, load_text, routine_of

LIFT = {"name": "Lift", "say": "Lift.", "duration": "20s", "reps": 2}
HOLD = {"name": "Hold", "say": "Hold.", "duration": "10s"}


def test_a_step_repeats_with_a_rest_between_rounds_and_counts_afresh():
    routine = routine_of({**LIFT, "repeat": 3, "rest": "10s"}, HOLD)
    names = [step.name for step in routine.steps]
    assert names == ["Lift (1/3)", "Rest", "Lift (2/3)", "Rest", "Lift (3/3)", "Hold"]
    assert routine.duration == 3 * 20 + 2 * 10 + 10
    rest = routine.steps[1]
    assert (rest.say, rest.duration, rest.reps, rest.area) == ("Rest.", 10.0, 0, "whole_face")
    timeline = plan(routine, lambda text: 0.5)
    for index in (0, 2, 4):
        counts = [c.content for c in timeline.steps[index].cues if c.rank == RANK_COUNT]
        assert counts == ["one", "two"]


def test_a_block_of_steps_repeats_together():
    routine = routine_of({**LIFT, "repeat": 2, "repeat_steps": 2}, HOLD, {**HOLD, "name": "End"})
    names = [step.name for step in routine.steps]
    assert names == ["Lift (1/2)", "Hold (1/2)", "Lift (2/2)", "Hold (2/2)", "End"]
    assert routine.steps[2].line == routine.steps[0].line  # messages point at the file


@pytest.mark.parametrize(
    ("step", "problem"),
    [
        ({**HOLD, "repeat": 0}, ".repeat: must be 1 to 20, not 0"),
        ({**HOLD, "rest": "5s"}, "'repeat_steps' and 'rest' need 'repeat'"),
        ({**HOLD, "repeat": 2, "repeat_steps": 3}, "repeat_steps = 3 runs past the last step"),
        ({**HOLD, "sides": ["left", "up"]}, ".sides: must be true, false, or a list of up to 8"),
    ],
)
def test_bad_structure_is_reported(step, problem):
    found = messages(dumps({"title": "T", "step": [step]}))
    assert any(problem in message for message in found), found


def test_sides_alternate_as_often_as_listed_with_the_side_in_cues():
    routine = routine_of(
        {
            "name": "Sweep",
            "say": "Sweep your {side} cheek.",
            "duration": "40s",
            "sides": ["left", "right", "left", "right"],
            "switch": "Now your {side} cheek.",
            "cue": [{"at": "12s", "say": "Soft {side} hand."}],
        },
        defaults={"warning": "0s"},
    )
    step = routine.steps[0]
    assert step.side_names == ("left", "right", "left", "right") and step.part_length == 10.0
    step_plan = plan(routine, lambda text: 1.0).steps[0]
    said = [c.content for c in step_plan.cues if c.kind == "say"]
    switches = [text for text in said if text.startswith("Now your")]
    assert switches == ["Now your right cheek.", "Now your left cheek.", "Now your right cheek."]
    assert "Soft right hand." in said  # 12 s of clock is 2 s into the second side
    assert [part.side for part in step_plan.parts] == ["left", "right", "left", "right"]


def test_the_mirror_shows_a_cues_words_while_they_apply():
    routine = load_text(
        'title = "T"\n[[step]]\nname = "Hold"\nsay = "Hold."\nduration = "40s"\nwarning = "0s"\n'
        '[[step.cue]]\nat = "10s"\nsay = "Relax your jaw."\n'
    )
    timeline = plan(routine, lambda text: 1.0)
    session = Session(timeline)
    session.handle(Command.START, 0.0)
    clock = timeline.steps[0].parts[0].clock
    cue_at = next(c.at for c in timeline.steps[0].cues if c.content == "Relax your jaw.")
    assert session.view(cue_at - 0.5).instruction == "Hold."
    assert session.view(cue_at + 0.5).instruction == "Relax your jaw."
    assert session.view(cue_at + 10.5).instruction == "Hold."
    assert clock < cue_at


def test_a_step_lights_several_areas_and_the_view_carries_them():
    routine = routine_of(
        {**HOLD, "area": ["cheeks", "jawline", "cheeks"]}, defaults={"area": "neck"}
    )
    step = routine.steps[0]
    assert (step.area, step.also_lit) == ("cheeks", ("jawline",))
    view = Session(plan(routine)).view(0.0)
    assert (view.area, view.also_lit) == ("cheeks", ("jawline",))
    found = messages(dumps({"title": "T", "step": [{**HOLD, "area": ["cheeks", "ear"]}]}))
    assert any('("Hold").area.2: must be one of' in message for message in found), found
