"""PlanMemo: each routine planned again only when it, or a length its plan used, changed."""

from __future__ import annotations

from device.core.plan_memo import PlanMemo
from device.core.routine import load_routine
from device.core.timeline import all_phrases, estimated_length, plan
from tests.core_helpers import ROUTINES


def _library():
    return [load_routine(path) for path in sorted(ROUTINES.glob("*.toml"))[:4]]


def test_unchanged_routines_are_not_planned_again_and_say_the_same():
    routines, memo, estimate = _library(), PlanMemo(), estimated_length(150)
    first = memo.phrases(routines, estimate)
    assert first == [frozenset(all_phrases(plan(r, estimate))) for r in routines]
    assert memo.phrases(routines, estimate) == first and memo.planned == len(routines)
    reread = [*routines[:-1], load_routine(ROUTINES / f"{routines[-1].name}.toml")]
    assert memo.phrases(reread, estimate) == first and memo.planned == len(routines) + 1


def test_a_changed_length_plans_again_only_the_routines_that_asked_for_it():
    routines, memo, estimate = _library(), PlanMemo(), estimated_length(150)
    memo.phrases(routines, estimate)
    intro = next(iter(sorted(memo.plans[id(routines[0])][1])))  # a phrase its plan measured
    slower = {intro: estimate(intro) * 3}

    def length(text: str) -> float:
        return slower.get(text, estimate(text))

    again = memo.phrases(routines, length)
    users = [r for r in routines if intro in memo.plans[id(r)][1]]
    assert memo.planned == len(routines) + len(users)
    assert again == [frozenset(all_phrases(plan(r, length))) for r in routines]


def test_routines_no_longer_given_are_forgotten():
    routines, memo, estimate = _library(), PlanMemo(), estimated_length(150)
    memo.phrases(routines, estimate)
    memo.phrases(routines[:1], estimate)
    assert list(memo.plans) == [id(routines[0])]
