"""The audible timeline: what a routine will really sound like, phrase by phrase.

A routine is played through the real ``Session`` and the speaker's own rules
(``SpeechQueue.take``) with each phrase's length, with no one pressing anything
but PLAY on a wait step (once the speech has finished). Each phrase comes back
with when it starts and ends and its fate: heard, late, shortened by something
that cut in, dropped, or turned into a tick. ``show`` prints it; ``check`` warns
about every cue that is not heard as written; the tests hold the bundled
routines to zero.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from device.core.durations import format_clock, format_moment
from device.core.session import Command, Say, Session, State, StateChanged, StepStarted
from device.core.speech_rules import Fade, Phrase, Speak, SpeechQueue
from device.core.timeline import RANK_COUNT, RANK_COUNTDOWN, RANK_CUE, RANK_STEP, Timeline

LATE_ENOUGH = 0.5  # seconds; a phrase this late is marked late (it is still heard)


class Role(enum.StrEnum):
    """What a phrase is for, as ``show`` and ``check`` name it."""

    INTRO = "intro"
    INSTRUCTION = "instruction"
    SWITCH = "switch"
    COUNT = "count"
    CUE = "cue"
    WARNING = "warning"
    FINISH = "finish"


ROLES = {RANK_COUNT: Role.COUNT, RANK_CUE: Role.CUE, RANK_COUNTDOWN: Role.WARNING}
ANNOUNCEMENTS = (Role.INTRO, Role.INSTRUCTION, Role.FINISH)  # named, not quoted


class Fate(enum.Enum):
    HEARD = "heard"
    LATE = "late"
    SHORTENED = "shortened"
    DROPPED = "dropped"
    TICKED = "ticked"


@dataclass
class Heard:
    """One planned phrase and what became of it; times are seconds from PLAY."""

    text: str
    rank: int
    role: Role
    due: float
    start: float | None = None
    end: float | None = None
    fate: Fate = Fate.HEARD
    why: str = ""
    step: int = -1  # index of its step; -1 for the intro and the finish
    line: int = 0  # the routine file's line that asked for it

    @property
    def lost(self) -> bool:
        """Not heard as written: dropped, ticked, or cut short."""
        return self.fate in (Fate.SHORTENED, Fate.DROPPED, Fate.TICKED)

    def describe(self) -> str:
        if self.role in ANNOUNCEMENTS:
            return f"the {self.role}"
        return f"{self.role} '{self.text}'"


@dataclass(frozen=True)
class Audible:
    """One run: every phrase in the order it was due, and when each step began."""

    phrases: list[Heard]
    step_starts: dict[int, float]
    end: float

    @property
    def lost(self) -> list[Heard]:
        return [h for h in self.phrases if h.lost]


def audible(timeline: Timeline, length: Callable[[str], float]) -> Audible:
    """Play ``timeline`` with phrases of ``length(text)`` seconds; see the module doc."""
    return _Run(timeline, length).play()


class _Run:
    def __init__(self, timeline: Timeline, length: Callable[[str], float]) -> None:
        self.timeline, self.length = timeline, length
        self.session = Session(timeline)
        self.queue = SpeechQueue()
        self.heard: list[Heard] = []
        self.records: dict[tuple, Heard] = {}  # (text, rank, due) -> its record
        self.playing: Heard | None = None
        self.step_starts: dict[int, float] = {}

    def play(self) -> Audible:
        now = 0.0
        actions = self.session.handle(Command.START, now)
        while True:
            self._perform(actions, now)
            if self.session.state is State.DONE:
                break
            now = self._next_moment(now)
            command = Command.PLAY if self.session.state is State.WAITING else Command.TICK
            actions = self.session.handle(command, now)
        return Audible(self.heard, self.step_starts, now)

    def _next_moment(self, now: float) -> float:
        """Run the speech pump until the session's next deadline (or, on a wait step,
        until everything queued has been said: that is when PLAY is pressed)."""
        deadline = self.session.next_deadline()
        while (wake := self.queue.wake_in(now)) is not None and (
            deadline is None or now + wake <= deadline
        ):
            now += wake
            self._pump(now)
        if deadline is None:  # waiting: the listener presses PLAY after the last word
            return max(now, self.queue.ends)
        return deadline

    def _perform(self, actions: list, now: float) -> None:
        step = self.session.index if self.heard else -1
        role: Role | None = None
        for action in actions:
            if isinstance(action, StepStarted):
                step = action.index
                self.step_starts[step] = action.due
            elif isinstance(action, StateChanged) and action.state is State.DONE:
                step, role = -1, Role.FINISH
            elif isinstance(action, Say):
                self._record(action, step, role or self._role(action, step))
        dropped = len(self.queue.dropped)
        for play in self.queue.take(actions, now, self.length):
            if isinstance(play, Fade):
                self._cut(now)
            elif isinstance(play, Speak):
                self._begin(play.phrase, now)
        for phrase in self.queue.dropped[dropped:]:
            self._drop(self.records[_key(phrase)], now)
        self._pump(now)

    def _record(self, action: Say, step: int, role: Role) -> None:
        heard = Heard(action.text, action.rank, role, action.due, step=step)
        heard.line = self._line(action, step)
        self.heard.append(heard)
        self.records[(action.text, action.rank, action.due)] = heard

    def _role(self, action: Say, step: int) -> Role:
        if action.rank != RANK_STEP:
            return ROLES.get(action.rank, Role.CUE)
        if step < 0:
            return Role.INTRO
        instructions = self.timeline.steps[step].instructions
        return Role.INSTRUCTION if action.text in instructions else Role.SWITCH

    def _line(self, action: Say, step: int) -> int:
        if step < 0:
            return 0
        step_plan = self.timeline.steps[step]
        lines = [c.line for c in step_plan.cues if c.content == action.text and c.line]
        return lines[0] if lines else step_plan.step.line

    def _drop(self, heard: Heard, now: float) -> None:
        """Offered while something else was being said, and not kept waiting."""
        playing = self.playing
        by = playing.describe() if playing else "other speech"
        until = f" plays until {format_clock(self.queue.ends)}" if playing else " plays"
        heard.fate = Fate.TICKED if heard.rank == RANK_COUNT else Fate.DROPPED
        heard.why = f"{by}{until}"

    def _pump(self, now: float) -> None:
        dropped = len(self.queue.dropped)
        phrase = self.queue.next(now)
        for stale in self.queue.dropped[dropped:]:
            heard = self.records[_key(stale)]
            heard.fate = Fate.DROPPED
            heard.why = f"it would start {now - heard.due:.1f}s late, behind other speech"
        if phrase is not None:
            self._begin(phrase, now)

    def _begin(self, phrase: Phrase, now: float) -> None:
        heard = self.records[_key(phrase)]
        heard.start, heard.end = now, now + phrase.length
        if now - heard.due > LATE_ENOUGH and heard.rank < RANK_STEP:  # steps queue by design
            heard.fate, heard.why = Fate.LATE, f"starts {now - heard.due:.1f}s late"
        self.playing = heard

    def _cut(self, now: float) -> None:
        playing, self.playing = self.playing, None
        if playing is not None and playing.end is not None and playing.end > now + 1e-6:
            playing.fate, playing.end = Fate.SHORTENED, now
            playing.why = f"cut off at {format_moment(now)}"


def _key(phrase: Phrase) -> tuple:
    return (phrase.text, phrase.rank, phrase.due)
