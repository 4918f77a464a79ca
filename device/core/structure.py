"""A routine's shape beyond one step after another: sides in any order, and a step (or
a block of steps) repeated with an optional rest between the rounds.

``sides = ["left", "right", "left", "right"]`` alternates twice; ``sides = true``
is one side each. ``repeat = 3`` (with ``repeat_steps = 2`` for a block of this
step and the next) and ``rest = "10s"`` are unrolled when the file is loaded, so
every later part of the device (planner, session, mirror) sees plain steps, and
counts start afresh in each round.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from device.core.tomlsource import Where
from device.core.validate import Checker

Step = Any  # routine.Step, which is not imported: routine.py imports this module

SIDES = ("left", "right")
MAX_SIDES = 8
MAX_REPEAT = 20
REST_SAY = "Rest."


def read_sides(
    checker: Checker, raw: dict, where: Where, label: str
) -> tuple[bool, tuple[str, ...]]:
    """(whether the step has sides, their order when the file lists them; else the
    step's ``first_side`` and then the other)."""
    value = raw.get("sides", False)
    if isinstance(value, bool):
        return value, ()
    if isinstance(value, list) and 2 <= len(value) <= MAX_SIDES and all(v in SIDES for v in value):
        return True, tuple(value)
    message = f'must be true, false, or a list of up to {MAX_SIDES} "left" and "right", not '
    message += f'"{value}"' if isinstance(value, str) else str(value)
    checker.report((*where, "sides"), f"{label}.sides", message)
    return False, ()


class Repeat:
    """One ``repeat`` request: the step it starts at, how many steps, rounds and rest."""

    def __init__(self, start: int, steps: int, rounds: int, rest: float) -> None:
        self.start, self.steps, self.rounds, self.rest = start, steps, rounds, rest


def read_repeat(checker: Checker, raw: dict, where: Where, label: str, index: int) -> Repeat | None:
    if not any(key in raw for key in ("repeat", "repeat_steps", "rest")):
        return None
    rounds = checker.integer(raw, "repeat", where, label, 1, 1, MAX_REPEAT)
    steps = checker.integer(raw, "repeat_steps", where, label, 1, 1, 20)
    rest = checker.duration(raw, "rest", where, label, 0.0, 0, 600)
    if "repeat" not in raw:
        checker.report(where, label, "'repeat_steps' and 'rest' need 'repeat' (how many rounds)")
    return Repeat(index, steps, rounds, rest)


def unroll(checker: Checker, steps: list[Step], repeats: list[Repeat]) -> list[Step]:
    """``steps`` with every repeated block written out round by round, rests between."""
    out: list[Step] = []
    by_start = {r.start: r for r in repeats}
    index = 0
    while index < len(steps):
        repeat = by_start.get(index)
        if repeat is None:
            out.append(steps[index])
            index += 1
            continue
        block = steps[index : index + repeat.steps]
        if len(block) < repeat.steps or any(r.start in by_start for r in _inside(repeat, repeats)):
            message = (
                f"repeat_steps = {repeat.steps} runs past the last step or into another repeat"
            )
            checker.report(("step", index, "repeat_steps"), "", message)
        out.extend(_rounds(block, repeat))
        index += len(block)
    return out


def _inside(repeat: Repeat, repeats: list[Repeat]) -> list[Repeat]:
    return [r for r in repeats if repeat.start < r.start < repeat.start + repeat.steps]


def _rounds(block: list[Step], repeat: Repeat) -> list[Step]:
    out: list[Step] = []
    for number in range(1, repeat.rounds + 1):
        if number > 1 and repeat.rest:
            out.append(_rest(block[-1], repeat.rest))
        for step in block:
            name = f"{step.name} ({number}/{repeat.rounds})" if repeat.rounds > 1 else step.name
            out.append(replace(step, name=name))
    return out


def _rest(before: Step, seconds: float) -> Step:
    return replace(
        before,
        name="Rest",
        say=REST_SAY,
        duration=seconds,
        wait=False,
        area="whole_face",
        stroke="still",
        sides=False,
        side_order=(),
        reps=0,
        count=(),
        count_seconds=(),
        tempo=0.0,
        warning=0.0,
        countdown=min(before.countdown, max(0, int(seconds) - 1)),
        cues=(),
    )
