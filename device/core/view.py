"""What the screen and the terminal show, as plain data (no pygame here)."""

from __future__ import annotations

from dataclasses import dataclass

from device.core.routine import Step
from device.core.timeline import RANK_CUE, Part, StepPlan, Timeline

CUE_SHOWN = 10.0  # seconds a cue's words stay on the mirror


@dataclass(frozen=True)
class RoutineView:
    """One moment of a running routine."""

    state: str  # ready, running, paused, waiting, done
    title: str
    step_index: int  # from 0
    step_count: int
    step_name: str
    instruction: str
    area: str
    stroke: str
    side: str  # "", "left" or "right"
    rep: int  # from 1; 0 when the step has no reps
    reps: int
    step_left: float  # seconds left in the step (0 for a wait step)
    step_length: float
    routine_left: float
    routine_length: float
    next_name: str
    also_lit: tuple[str, ...] = ()  # more areas lit with ``area``

    @classmethod
    def of(cls, timeline: Timeline, index: int, state: str, elapsed: float) -> RoutineView:
        """The view ``elapsed`` active seconds into step ``index``."""
        step_plan = timeline.steps[index]
        step = step_plan.step
        elapsed = min(elapsed, step_plan.length)
        number = step_plan.part_at(elapsed)
        part = step_plan.parts[number] if step_plan.parts else Part(0.0, 0.0, 0.0)
        rep, reps = _beat(step, part, elapsed)
        following = timeline.steps[index + 1].step.name if index + 1 < len(timeline.steps) else ""
        return cls(
            state=state,
            title=timeline.routine.title,
            step_index=index,
            step_count=len(timeline.steps),
            step_name=step.name,
            instruction=_cue_words(step_plan, part, elapsed) or step_plan.instructions[number],
            area=step.area,
            stroke=step.stroke,
            side=part.side,
            rep=rep,
            reps=reps,
            step_left=step_plan.length - elapsed,
            step_length=step_plan.length,
            routine_left=timeline.total - step_plan.start - elapsed,
            routine_length=timeline.total,
            next_name=following,
            also_lit=step.also_lit,
        )

    @property
    def progress(self) -> float:
        """Fraction of the routine's timed part done, 0..1."""
        if not self.routine_length:
            return 1.0 if self.state == "done" else 0.0
        return min(1.0, max(0.0, 1 - self.routine_left / self.routine_length))


def _cue_words(step_plan: StepPlan, part: Part, elapsed: float) -> str:
    """The words of a ``[[step.cue]]`` said in the last CUE_SHOWN seconds of this side:
    the mirror shows what was just said, then the instruction again."""
    said = [
        c
        for c in step_plan.cues
        if c.kind == "say"
        and c.rank == RANK_CUE
        and part.start <= c.at <= elapsed < c.at + CUE_SHOWN
    ]
    return said[-1].content if said else ""


def _beat(step: Step, part: Part, elapsed: float) -> tuple[int, int]:
    """(the count or cycle we are in from 1, how many a side has); (0, 0) if not counted."""
    cycle = part.length / step.reps if step.reps else sum(step.count_seconds)
    if not cycle or not part.length:
        return 0, 0
    total = step.reps or int(part.length // cycle + 1e-9)
    into = max(0.0, elapsed - part.clock)
    return min(int(into // cycle) + 1, total), total


@dataclass(frozen=True)
class IdleView:
    """The screen between routines; ``awake`` False means all black (a plain mirror)."""

    awake: bool
    routine_title: str = ""
    routine_length: float = 0.0
    program: str = ""  # e.g. "Week 9 · every other day · today: rest"
    warnings: int = 0  # routine files with errors
    missing: tuple[str, ...] = ()  # hardware that does not work: "buttons", "speaker", ...
    offer: str = ""  # e.g. "Resume Evening wind-down at step 4?"
