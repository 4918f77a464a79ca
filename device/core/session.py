"""The timer state machine: ``handle(command, now) -> actions`` and ``next_deadline()``.

Pure: no hardware, no threads, no clock of its own; ``now`` is always passed
in. Step ``i`` starts at ``origin``; every deadline is ``origin + offset``, and
the next step's origin is this one's plus its duration, so error never
accumulates. Pausing shifts ``origin`` by exactly the time spent paused.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from device.core.timeline import (
    RANK_STEP,
    Planned,
    StepPlan,
    Timeline,
    plan,
    where_phrases,
)
from device.core.view import RoutineView

STALE_AFTER = 1.5  # seconds; a cue this late (say after a stall) is skipped, not blurted out


class State(enum.Enum):
    READY = "ready"
    RUNNING = "running"
    PAUSED = "paused"
    WAITING = "waiting"  # on an untimed step, until PLAY
    DONE = "done"


class Command(enum.Enum):
    TICK = "tick"  # a deadline passed; nothing else
    PLAY = "play"  # start, pause, resume or leave a wait step, whichever fits
    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    NEXT = "next"
    PREV = "prev"
    STOP = "stop"
    REPEAT = "repeat"
    WHERE = "where"


@dataclass(frozen=True)
class Say:
    text: str
    rank: int
    due: float


@dataclass(frozen=True)
class Sound:
    name: str
    rank: int
    due: float


@dataclass(frozen=True)
class StepStarted:
    index: int
    name: str
    due: float


@dataclass(frozen=True)
class StateChanged:
    state: State
    due: float


Action = Say | Sound | StepStarted | StateChanged


class Session:
    """One run of one routine, from READY to DONE."""

    def __init__(self, timeline: Timeline) -> None:
        self.timeline = timeline
        self.state = State.READY
        self.index = 0
        self.origin = 0.0  # when the current step's active time was zero
        self.paused_at = 0.0
        self.cursor = 0  # next cue of the current step to fire
        self.now = float("-inf")

    @classmethod
    def of(cls, routine) -> Session:
        return cls(plan(routine))

    @property
    def current(self) -> StepPlan:
        return self.timeline.steps[self.index]

    def handle(self, command: Command, now: float) -> list[Action]:
        """Apply ``command`` at ``now`` (after firing whatever fell due before it)."""
        now = max(now, self.now)  # time never runs backwards, even if a caller's does
        self.now = now
        actions = self._catch_up(now)
        if command is not Command.TICK:
            actions += self._handler(command)(now)
            actions += self._catch_up(now)  # a step just entered may have cues due now
        return actions

    def _handler(self, command: Command) -> Callable[[float], list[Action]]:
        return {
            Command.PLAY: self._on_play,
            Command.START: self._on_start,
            Command.PAUSE: self._on_pause,
            Command.RESUME: self._on_resume,
            Command.NEXT: self._on_next,
            Command.PREV: self._on_prev,
            Command.STOP: self._on_stop,
            Command.REPEAT: self._on_repeat,
            Command.WHERE: self._on_where,
        }[command]

    def next_deadline(self) -> float | None:
        """When ``handle(TICK)`` next has work to do; None while nothing is timed."""
        if self.state is not State.RUNNING:
            return None
        cues = self.current.cues
        if self.cursor < len(cues):
            return self.origin + cues[self.cursor].at
        return self.origin + self.current.length

    def elapsed(self, now: float) -> float:
        """Active seconds into the current step (frozen while paused or waiting)."""
        if self.state is State.RUNNING:
            return max(0.0, now - self.origin)
        if self.state is State.PAUSED:
            return self.paused_at - self.origin
        return 0.0

    def view(self, now: float) -> RoutineView:
        return RoutineView.of(self.timeline, self.index, self.state.value, self.elapsed(now))

    # -- commands -------------------------------------------------------------

    def _on_start(self, now: float) -> list[Action]:
        if self.state is not State.READY:
            return []
        intro = [_act(c, now) for c in self.timeline.intro]
        return intro + self._enter(0, now)

    def _on_play(self, now: float) -> list[Action]:
        handler = {
            State.READY: self._on_start,
            State.RUNNING: self._on_pause,
            State.PAUSED: self._on_resume,
            State.WAITING: self._leave_wait,
        }
        return handler.get(self.state, _nothing)(now)

    def _on_pause(self, now: float) -> list[Action]:
        if self.state is not State.RUNNING:
            return []
        self.state, self.paused_at = State.PAUSED, now
        return [StateChanged(State.PAUSED, now), Sound("chime", RANK_STEP, now)]

    def _on_resume(self, now: float) -> list[Action]:
        if self.state is not State.PAUSED:
            return []
        self.origin += now - self.paused_at
        self.state = State.RUNNING
        return [StateChanged(State.RUNNING, now), Sound("chime", RANK_STEP, now)]

    def _on_next(self, now: float) -> list[Action]:
        if self.state in (State.READY, State.DONE):
            return []
        return self._enter(self.index + 1, now)

    def _on_prev(self, now: float) -> list[Action]:
        if self.state in (State.READY, State.DONE):
            return []
        return self._enter(max(0, self.index - 1), now)

    def _on_stop(self, now: float) -> list[Action]:
        if self.state is State.DONE:
            return []
        self.state = State.DONE
        return [StateChanged(State.DONE, now)]

    def _on_repeat(self, now: float) -> list[Action]:
        if self.state is State.DONE:
            return []
        if self.state is State.READY:
            return [Say(self.timeline.intro[0].content, RANK_STEP, now)]
        side = self.current.part_at(self.elapsed(now))
        return [Say(self.current.instructions[side], RANK_STEP, now)]

    def _on_where(self, now: float) -> list[Action]:
        if self.state in (State.READY, State.DONE):
            return []
        elapsed, parts = self.elapsed(now), self.current.parts
        part = parts[self.current.part_at(elapsed)] if parts else None
        side, left = (part.side, min(part.length, part.end - elapsed)) if part else ("", 0)
        phrases = where_phrases(self.current, len(self.timeline.steps), side, left)
        return [Say(text, RANK_STEP, now) for text in phrases]

    # -- moving through the steps ---------------------------------------------

    def _catch_up(self, now: float) -> list[Action]:
        """Fire every cue and step change due by ``now``, skipping stale speech.

        After a stall, the latest announcement of the step we land in (its
        instruction, or the side switch) is still made, late rather than never.
        """
        actions: list[Action] = []
        late: list[Action] = []
        late_at = -1.0
        while self.state is State.RUNNING:
            deadline = self.next_deadline()
            if deadline is None or deadline > now:
                break
            if self.cursor < len(self.current.cues):
                cue = self.current.cues[self.cursor]
                self.cursor += 1
                if now - deadline <= STALE_AFTER:
                    actions.append(_act(cue, deadline))
                elif cue.rank == RANK_STEP:
                    if cue.at != late_at:  # a newer announcement replaces an older one
                        late, late_at = [], cue.at
                    late.append(_act(cue, now))
            else:
                late, late_at = [], -1.0
                actions += self._enter(self.index + 1, deadline)
        return actions + late

    def _enter(self, index: int, at: float) -> list[Action]:
        """Begin step ``index`` at instant ``at`` (or finish after the last one)."""
        if index >= len(self.timeline.steps):
            self.state = State.DONE
            finish = [_act(c, at) for c in self.timeline.finish]
            return [StateChanged(State.DONE, at), *finish]
        self.index, self.origin, self.cursor = index, at, 0
        step = self.current.step
        self.state = State.WAITING if step.wait else State.RUNNING
        actions: list[Action] = [StepStarted(index, step.name, at), StateChanged(self.state, at)]
        if step.wait:
            actions += [_act(c, at) for c in self.current.cues]
            self.cursor = len(self.current.cues)
        return actions

    def _leave_wait(self, now: float) -> list[Action]:
        return self._enter(self.index + 1, now)


def _act(cue: Planned, due: float) -> Action:
    """The action for ``cue``; ``due`` is when it was meant to happen."""
    if cue.kind == "sound":
        return Sound(cue.content, cue.rank, due)
    return Say(cue.content, cue.rank, due)


def _nothing(now: float) -> list[Action]:
    return []
