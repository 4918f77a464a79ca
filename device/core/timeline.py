"""Plan every cue of a routine ahead of time: what is said or played, and when.

Offsets are seconds of active time from the start of each step; the session
turns them into deadlines. Fill-ins are resolved here, so every phrase a
routine can speak is known before it starts (the speech cache renders them).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from device.core.durations import number_words, say_duration
from device.core.routine import Routine, Step

RANK_TICK, RANK_COUNT, RANK_CUE, RANK_COUNTDOWN, RANK_STEP = range(5)
WARNING_MIN_PART = 30.0
REMAINING_STEP = 5
SPEECH_GAP = 0.2  # seconds of quiet a moved phrase leaves before its boundary
DEFAULT_RATE = 150  # words a minute, the config's default


def estimated_length(rate: int = DEFAULT_RATE) -> Callable[[str], float]:
    """Seconds a phrase takes to say, from its words and pauses, until it is rendered.

    Fitted to espeak-ng's English voice at 150 words a minute (0.27 s a word and
    0.48 s a pause); most rendered phrases land within half a second of it.
    """
    scale = DEFAULT_RATE / rate

    def length(text: str) -> float:
        words = len(re.findall(r"[\w']+", text))
        pauses = len(re.findall(r"[.,;:!?]", text))
        return 0.05 + scale * (0.27 * words + 0.48 * pauses)

    return length


@dataclass(frozen=True)
class Planned:
    """One cue: ``kind`` is "say" or "sound"; ``at`` is seconds into its step."""

    at: float
    kind: str
    content: str
    rank: int
    line: int = field(default=0, compare=False)  # the line of the cue it comes from (0: none)


@dataclass(frozen=True)
class StepPlan:
    """A step, where it starts in the routine's active time, and its cues in order."""

    index: int
    step: Step
    start: float
    cues: tuple[Planned, ...]
    instructions: tuple[str, ...] = ()  # the instruction for each side, fill-ins resolved


@dataclass(frozen=True)
class Timeline:
    routine: Routine
    steps: tuple[StepPlan, ...]
    intro: tuple[Planned, ...]
    finish: tuple[Planned, ...]

    @property
    def total(self) -> float:
        return self.routine.duration


def plan(routine: Routine, speech_length: Callable[[str], float] | None = None) -> Timeline:
    """The full timeline of ``routine`` when nothing is skipped or paused.

    With ``speech_length`` (text -> seconds), cue and warning speech is moved earlier
    so it finishes before the boundary it announces (see ``_fit_speech``).
    """
    starts, clock = [], 0.0
    for step in routine.steps:
        starts.append(clock)
        clock += step.duration
    fill = _filler(routine)
    steps = tuple(
        StepPlan(
            i,
            step,
            starts[i],
            tuple(
                _sorted(_fit_speech(_step_cues(routine, i, starts[i], fill), step, speech_length))
            ),
            tuple(fill(step.say, i, starts[i], side) for side in step.side_names),
        )
        for i, step in enumerate(routine.steps)
    )
    intro = (Planned(0.0, "say", fill(routine.intro, 0, 0.0), RANK_STEP),)
    finish = (
        Planned(0.0, "sound", "bell", RANK_STEP),
        Planned(0.0, "say", fill(routine.finish, len(routine.steps) - 1, clock), RANK_STEP),
    )
    return Timeline(routine, steps, intro, finish)


def _filler(routine: Routine):
    """A function that resolves fill-ins for step ``index`` at routine offset ``offset``."""
    names = [step.name for step in routine.steps]

    def fill(text: str, index: int, offset: float, side: str = "") -> str:
        return _sentence_case(
            text.format(
                routine=routine.title,
                step=names[index] if names else "",
                next=names[index + 1] if index + 1 < len(names) else "the end",
                remaining=say_duration(max(0.0, routine.duration - offset)),
                duration=say_duration(routine.duration),
                side=side,
                other={"left": "right", "right": "left"}.get(side, ""),
            )
        )

    return fill


def _sentence_case(text: str) -> str:
    """Capitalise the first letter of each sentence (a fill-in may begin one)."""
    return re.sub(r"(^|[.!?]\s+)([a-z])", lambda m: m[1] + m[2].upper(), text)


def _step_cues(routine: Routine, index: int, start: float, fill) -> list[Planned]:
    step = routine.steps[index]
    cues = [
        Planned(0.0, "sound", "chime", RANK_STEP),
        Planned(0.0, "say", fill(step.say, index, start, step.side_names[0]), RANK_STEP),
    ]
    for side_number, side in enumerate(step.side_names if not step.wait else ()):
        begin = side_number * step.part_length
        if side_number:
            cues.append(Planned(begin, "sound", "chime", RANK_STEP))
            cues.append(
                Planned(begin, "say", fill(step.switch, index, start + begin, side), RANK_STEP)
            )
        cues.extend(_part_cues(step, begin))
    for cue in step.cues:
        if cue.sound:
            cues.append(Planned(cue.at, "sound", cue.sound, RANK_CUE, cue.line))
        if cue.say:
            text = fill(cue.say, index, start + cue.at)
            cues.append(Planned(cue.at, "say", text, RANK_CUE, cue.line))
    return cues


def _part_cues(step: Step, begin: float) -> list[Planned]:
    """Reps, tempo ticks, the spoken warning and the countdown of one side."""
    part, end = step.part_length, begin + step.part_length
    cues = []
    for rep in range(2, step.reps + 1):
        cues.append(
            Planned(begin + (rep - 1) * part / step.reps, "say", number_words(rep), RANK_COUNT)
        )
    quiet_from = end - max(step.countdown, 1)
    tick = step.tempo
    while step.tempo and begin + tick < quiet_from - 1e-9:
        cues.append(Planned(begin + tick, "sound", "tick", RANK_TICK))
        tick += step.tempo
    if step.warning and part >= WARNING_MIN_PART and step.warning < part:
        text = f"{say_duration(step.warning).capitalize()}."
        cues.append(Planned(end - step.warning, "say", text, RANK_COUNTDOWN))
    for left in range(step.countdown, 0, -1):
        if end - left <= begin + 1e-9:
            continue  # a [defaults] countdown longer than this side: beep only inside it
        cues.append(Planned(end - left, "sound", "beep", RANK_COUNTDOWN))
    return cues


def _fit_speech(cues: list[Planned], step: Step, length) -> list[Planned]:
    """Move cue and warning phrases earlier so they end before the next cue of countdown
    rank or above (a beep, a switch, the step's end), never into the phrase before them.
    Counts keep their beat; if nothing fits, the player shortens what overlaps."""
    if length is None:
        return cues
    fitted = list(cues)
    for i, cue in enumerate(cues):
        if cue.kind != "say" or cue.rank not in (RANK_CUE, RANK_COUNTDOWN):
            continue
        boundaries = [c.at for c in cues if c.rank >= RANK_COUNTDOWN and c.at > cue.at + 1e-9]
        latest = min(boundaries, default=step.duration) - length(cue.content) - SPEECH_GAP
        before = [c for c in cues if c.kind == "say" and c.rank > cue.rank and c.at <= cue.at]
        earliest = max((c.at + length(c.content) + SPEECH_GAP for c in before), default=0.0)
        if cue.at > latest:
            fitted[i] = replace(cue, at=max(min(cue.at, earliest), latest, 0.0))
    return fitted


def _sorted(cues: list[Planned]) -> list[Planned]:
    """By time; at the same instant the higher rank first, sounds before speech."""
    return sorted(cues, key=lambda c: (round(c.at, 6), -c.rank, c.kind != "sound"))


def side_index(step: Step, elapsed: float) -> int:
    """Which side (0 or 1) ``elapsed`` seconds into ``step`` falls on; 0 without sides."""
    if not step.sides or not step.part_length:
        return 0
    return min(int(elapsed // step.part_length), len(step.side_names) - 1)


def where_phrases(step_plan: StepPlan, count: int, side: str, left: float) -> list[str]:
    """What REPEAT-hold says: the step, the side, and time left rounded up to 5 s."""
    phrases = [f"Step {step_plan.index + 1} of {count}. {step_plan.step.name}."]
    if side:
        phrases.append(f"{side.capitalize()} side.")
    if not step_plan.step.wait:
        rounded = max(REMAINING_STEP, -(-int(left) // REMAINING_STEP) * REMAINING_STEP)
        phrases.append(f"About {say_duration(rounded)} left.")
    else:
        phrases.append("Press play when you are ready.")
    return phrases


# Said when a routine file that never loaded has an error: no name can be pre-rendered.
BROKEN_NEW_FILE = "A new routine file has an error. It is not in use."


def error_phrase(title: str) -> str:
    """Said once when an edit breaks a routine file (its last good version stays in use)."""
    return f"The routine {title} has an error. Its last good version stays in use."


def all_phrases(timeline: Timeline) -> set[str]:
    """Every phrase the routine can ever speak, for rendering before it starts."""
    phrases = {c.content for c in (*timeline.intro, *timeline.finish) if c.kind == "say"}
    phrases.add(error_phrase(timeline.routine.title))
    count = len(timeline.steps)
    for step_plan in timeline.steps:
        phrases.update(c.content for c in step_plan.cues if c.kind == "say")
        phrases.update(step_plan.instructions)
        step = step_plan.step
        for side in step.side_names:
            lefts = range(0, int(step.part_length) + REMAINING_STEP, REMAINING_STEP)
            for left in lefts if not step.wait else (0,):
                phrases.update(where_phrases(step_plan, count, side, left))
    return phrases


def library_phrases(routines: Iterable[Routine]) -> set[str]:
    """Every phrase a set of routines can speak: what the speech cache renders and keeps."""
    return {BROKEN_NEW_FILE}.union(*(all_phrases(plan(routine)) for routine in routines))
