"""Plan every cue of a routine ahead of time: what is said or played, and when.

Offsets are seconds of active time from the start of each step; the session
turns them into deadlines. Fill-ins are resolved here, so every phrase a
routine can speak is known before it starts (the speech cache renders them).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from device.core.counting import count_words
from device.core.durations import number_words, say_duration
from device.core.fitting import fit_speech
from device.core.planned import (
    RANK_COUNT,
    RANK_COUNTDOWN,
    RANK_CUE,
    RANK_STEP,
    RANK_TICK,
    Planned,
)
from device.core.routine import Routine, Step

WARNING_MIN_PART = 30.0
REMAINING_STEP = 5
LEAD_GAP = 0.3  # seconds of quiet between an instruction and the clock it starts
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
class Part:
    """One side of a timed step: its announcement from ``start``, then its clock from
    ``clock`` for ``length`` seconds (all seconds into the step)."""

    start: float
    clock: float
    length: float
    side: str = ""

    @property
    def end(self) -> float:
        return self.clock + self.length


@dataclass(frozen=True)
class StepPlan:
    """A step, where it starts in the routine's active time, and its cues in order."""

    index: int
    step: Step
    start: float
    cues: tuple[Planned, ...]
    instructions: tuple[str, ...] = ()  # the instruction for each side, fill-ins resolved
    parts: tuple[Part, ...] = ()  # none for a wait step

    @property
    def length(self) -> float:
        """Seconds the step lasts, its instructions included (0 for a wait step)."""
        return self.parts[-1].end if self.parts else 0.0

    def part_at(self, elapsed: float) -> int:
        """Which part (side) ``elapsed`` seconds into the step falls in."""
        later = [i for i, part in enumerate(self.parts) if part.start <= elapsed + 1e-9]
        return later[-1] if later else 0


@dataclass(frozen=True)
class Timeline:
    routine: Routine
    steps: tuple[StepPlan, ...]
    intro: tuple[Planned, ...]
    finish: tuple[Planned, ...]

    @property
    def total(self) -> float:
        """Timed seconds, instructions before the clock included; waiting is not counted."""
        return sum(step_plan.length for step_plan in self.steps)


def plan(routine: Routine, speech_length: Callable[[str], float] | None = None) -> Timeline:
    """The full timeline of ``routine`` when nothing is skipped or paused.

    With ``speech_length`` (text -> seconds, ``estimated_length`` until rendered) a
    step's clock starts once its instruction has been said (unless the step opts out),
    and cue and warning speech is placed where it is heard whole (``fitting.py``).
    Without it, every clock starts with its step: the plan of the file alone.
    """
    said, starts = routine.duration, _starts([step.duration for step in routine.steps])
    for _ in range(3):  # spoken lengths change the total, which a phrase may say
        fill = _filler(routine, said)
        intro = (Planned(0.0, "say", fill(routine.intro, 0, 0.0), RANK_STEP),)
        before = speech_length(intro[0].content) if speech_length else 0.0  # step 1 waits for it
        steps = tuple(
            _step_plan(routine, i, starts[i], fill, speech_length, before * (i == 0))
            for i in range(len(routine.steps))
        )
        lengths = [step_plan.length for step_plan in steps]
        # The length said leaves out the intro itself, so the intro's words never
        # depend on how long they take to say.
        if (_starts(lengths), sum(lengths) - before) == (starts, said):
            break
        said, starts = sum(lengths) - before, _starts(lengths)
    total = sum(lengths)
    finish = (
        Planned(0.0, "sound", "bell", RANK_STEP),
        Planned(0.0, "say", fill(routine.finish, len(routine.steps) - 1, total), RANK_STEP),
    )
    return Timeline(routine, steps, intro, finish)


def _starts(lengths: list[float]) -> list[float]:
    return [sum(lengths[:i]) for i in range(len(lengths))]


def _filler(routine: Routine, total: float):
    """A function that resolves fill-ins for step ``index`` at routine offset ``offset``."""
    names = [step.name for step in routine.steps]

    def fill(text: str, index: int, offset: float, side: str = "") -> str:
        return _sentence_case(
            text.format(
                routine=routine.title,
                step=names[index] if names else "",
                next=names[index + 1] if index + 1 < len(names) else "the end",
                remaining=say_duration(_spoken(total - offset)),
                duration=say_duration(_spoken(total)),
                side=side,
                other={"left": "right", "right": "left"}.get(side, ""),
            )
        )

    return fill


def _spoken(seconds: float) -> float:
    """Lengths are said to the second under a minute, else to the nearest five seconds."""
    seconds = max(0.0, seconds)
    return round(seconds) if seconds < 60 else 5 * round(seconds / 5)


def _sentence_case(text: str) -> str:
    """Capitalise the first letter of each sentence (a fill-in may begin one)."""
    return re.sub(r"(^|[.!?]\s+)([a-z])", lambda m: m[1] + m[2].upper(), text)


def _step_plan(
    routine: Routine, index: int, start: float, fill, length, before: float = 0.0
) -> StepPlan:
    """``before``: seconds of speech queued ahead of the instruction (the intro)."""
    step = routine.steps[index]
    instructions = tuple(fill(step.say, index, start, side) for side in step.side_names)
    cues = [
        Planned(0.0, "sound", "chime", RANK_STEP),
        Planned(0.0, "say", instructions[0], RANK_STEP),
    ]
    parts: list[Part] = []
    for side in step.side_names if not step.wait else ():
        begin = parts[-1].end if parts else 0.0
        said = instructions[0]
        if parts:
            said = fill(step.switch, index, start + begin, side)
            cues += [
                Planned(begin, "sound", "chime", RANK_STEP),
                Planned(begin, "say", said, RANK_STEP),
            ]
        lead = before + length(said) + LEAD_GAP if length and step.clock_after_say else 0.0
        before = 0.0
        parts.append(Part(begin, begin + lead, step.part_length, side))
        cues.extend(_part_cues(step, parts[-1]))
    cues.extend(_own_cues(step, parts, index, start, fill))
    cues = fit_speech(cues, parts[-1].end if parts else 0.0, length) if length else cues
    return StepPlan(index, step, start, tuple(_sorted(cues)), instructions, tuple(parts))


def _own_cues(step: Step, parts: list[Part], index: int, start: float, fill) -> list[Planned]:
    """The file's ``[[step.cue]]``s; ``at`` counts clock time, so it skips instructions."""
    cues = []
    for cue in step.cues:
        number = min(int(cue.at // step.part_length + 1e-9), len(parts) - 1)
        at = parts[number].clock + cue.at - number * step.part_length
        if cue.sound:
            cues.append(Planned(at, "sound", cue.sound, RANK_CUE, cue.line))
        if cue.say:
            text = fill(cue.say, index, start + at, parts[number].side)
            cues.append(Planned(at, "say", text, RANK_CUE, cue.line))
    return cues


def _part_cues(step: Step, part: Part) -> list[Planned]:
    """Counts, tempo ticks, the spoken warning and the countdown of one side."""
    cues = _counts(step, part)
    quiet_from = part.end - max(step.countdown, 1)
    tick = step.tempo
    while step.tempo and part.clock + tick < quiet_from - 1e-9:
        cues.append(Planned(part.clock + tick, "sound", "tick", RANK_TICK))
        tick += step.tempo
    if step.warning and part.length >= WARNING_MIN_PART and step.warning < part.length:
        text = f"{say_duration(step.warning).capitalize()}."
        cues.append(Planned(part.end - step.warning, "say", text, RANK_COUNTDOWN))
    for left in range(step.countdown, 0, -1):
        if part.end - left <= part.clock + 1e-9:
            continue  # a [defaults] countdown longer than this side: beep only inside it
        cues.append(Planned(part.end - left, "sound", "beep", RANK_COUNTDOWN))
    return cues


def _counts(step: Step, part: Part) -> list[Planned]:
    """Numbers from "one" (from "two" when the instruction is said over the first
    count's beat), or the step's own words cycle after cycle; each side starts afresh."""
    if step.reps:
        first = 1 if part.clock > part.start else 2
        spacing = part.length / step.reps
        return [
            Planned(part.clock + (rep - 1) * spacing, "say", number_words(rep), RANK_COUNT)
            for rep in range(first, step.reps + 1)
        ]
    cues = []
    cycle = sum(step.count_seconds)
    for number in range(int(part.length // cycle + 1e-9) if cycle else 0):
        at = part.clock + number * cycle
        for word, seconds in zip(
            count_words(step.count, number + 1), step.count_seconds, strict=True
        ):
            cues.append(Planned(at, "say", word, RANK_COUNT))
            at += seconds
    return cues


def _sorted(cues: list[Planned]) -> list[Planned]:
    """By time; at the same instant the higher rank first, sounds before speech."""
    return sorted(cues, key=lambda c: (round(c.at, 6), -c.rank, c.kind != "sound"))


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


def library_phrases(
    routines: Iterable[Routine], speech_length: Callable[[str], float] | None = None
) -> set[str]:
    """Every phrase a set of routines can speak, planned with ``speech_length`` (as the
    daemon plans them): what the speech cache renders and keeps."""
    phrases = (all_phrases(plan(routine, speech_length)) for routine in routines)
    return {BROKEN_NEW_FILE}.union(*phrases)
