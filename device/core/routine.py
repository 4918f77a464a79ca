"""Routine files: load, validate, and hand back frozen dataclasses.

Pure: reads files and nothing else (no hardware, no threads, no clock).
The format is documented for people in ``routines/README.md``.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from device.core.counting import check_cycle, read_count
from device.core.structure import read_repeat, read_sides, unroll
from device.core.tomlsource import Where, read_source
from device.core.validate import Checker

AREAS = (
    "forehead",
    "brows",
    "eyes",
    "temples",
    "cheeks",
    "nose",
    "nasolabial",
    "mouth",
    "marionette",
    "jawline",
    "chin",
    "neck",
    "whole_face",
)
STROKES = ("up", "down", "out", "in", "circles", "press", "still")
SOUNDS = ("chime", "tick", "beep", "bell")
FILL_INS = ("routine", "step", "next", "remaining", "duration")
MAX_STEPS = 60
MAX_SPOKEN = 400
MAX_ROUTINE_SECONDS = 2 * 3600
MAX_STEP_SECONDS = 30 * 60
MIN_REP_SECONDS = 1.5
MIN_TEMPO = 0.5
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")

_TOP_KEYS = ("title", "description", "tags", "sources", "intro", "finish", "defaults", "step")
_DEFAULT_KEYS = ("area", "stroke", "tempo", "countdown", "warning", "first_side", "clock_after_say")
_STEP_KEYS = (
    "name",
    "say",
    "wait",
    "duration",
    "sides",
    "switch",
    "reps",
    "count",
    "count_seconds",
    "repeat",
    "repeat_steps",
    "rest",
    "cue",
    *_DEFAULT_KEYS,
)
_CUE_KEYS = ("at", "say", "sound")
DEFAULT_INTRO = "{routine}. {duration}."
DEFAULT_FINISH = "Well done. {routine} is complete."
DEFAULT_SWITCH = "Switch to your {side} side."


@dataclass(frozen=True)
class Cue:
    """Something said or played at ``at`` seconds into its step."""

    at: float
    say: str = ""
    sound: str = ""
    line: int = field(default=0, compare=False)  # where it is written, for messages


@dataclass(frozen=True)
class Step:
    """One step. ``wait`` steps have no duration and hold until PLAY."""

    name: str
    say: str
    duration: float = 0.0
    wait: bool = False
    area: str = "whole_face"
    stroke: str = "still"
    sides: bool = False
    first_side: str = "left"
    switch: str = DEFAULT_SWITCH
    reps: int = 0
    tempo: float = 0.0
    countdown: int = 3
    warning: float = 10.0
    cues: tuple[Cue, ...] = ()
    line: int = 0
    clock_after_say: bool = True  # the clock starts once the instruction has been said
    count: tuple[str, ...] = ()  # words said in turn, cycle after cycle (see counting.py)
    count_seconds: tuple[float, ...] = ()
    side_order: tuple[str, ...] = ()  # sides = ["left", "right", "left", "right"]
    also_lit: tuple[str, ...] = ()  # area = ["cheeks", "jawline"]: the areas after the first

    @property
    def side_names(self) -> tuple[str, ...]:
        """The sides in order, or ``("",)`` for a step done on the whole face."""
        if not self.sides:
            return ("",)
        if self.side_order:
            return self.side_order
        other = "right" if self.first_side == "left" else "left"
        return (self.first_side, other)

    @property
    def part_length(self) -> float:
        """Seconds of one side (the whole step when it has no sides)."""
        return self.duration / len(self.side_names)


@dataclass(frozen=True)
class Routine:
    """A validated routine, named by its file name without ``.toml``."""

    name: str
    title: str
    steps: tuple[Step, ...]
    description: str = ""
    tags: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    intro: str = DEFAULT_INTRO
    finish: str = DEFAULT_FINISH
    path: str = ""

    @property
    def duration(self) -> float:
        """Timed seconds; waiting for PLAY is not counted."""
        return sum(step.duration for step in self.steps)


def routine_name(path: Path) -> str:
    """The name a routine file is known by: its file name without ``.toml``."""
    return path.name.removesuffix(".toml")


def checked_name(checker: Checker, path: Path) -> str:
    """The file's name as the CLI and config will use it, reported if it is unusable."""
    name = routine_name(path)
    if not NAME_PATTERN.match(name):
        message = "file name must be lowercase letters, digits and dashes, ending .toml"
        checker.report((), "", message)
    return name


def load_routine(path: Path) -> Routine:
    """Load and validate one routine file; raise InvalidFileError listing every problem."""
    source = read_source(path)
    checker = Checker(source)
    name = checked_name(checker, path)
    routine = _routine(checker, name)
    checker.raise_if_any()
    return routine


def _routine(checker: Checker, name: str) -> Routine:
    data = checker.source.data
    checker.unknown_keys(data, _TOP_KEYS, (), "")
    defaults = checker.get(data, "defaults", dict, (), "", {})
    checker.unknown_keys(defaults, _DEFAULT_KEYS, ("defaults",), "defaults")
    inherited = _inheritable(checker, defaults, ("defaults",), "defaults", Step("", ""))
    raw_steps = checker.get(data, "step", list, (), "", [])
    if data.get("step", []) == []:  # absent, or an empty ``step = []``
        checker.report(("step",), "", "no steps; add at least one [[step]] table")
    if len(raw_steps) > MAX_STEPS:
        checker.report(
            ("step", MAX_STEPS), "step", f"{len(raw_steps)} steps; the limit is {MAX_STEPS}"
        )
    written = [_step(checker, raw, index, inherited) for index, raw in enumerate(raw_steps)]
    repeats = [
        read_repeat(checker, raw, ("step", index), _label(raw, index), index)
        for index, raw in enumerate(raw_steps)
        if isinstance(raw, dict)
    ]
    steps = tuple(unroll(checker, written, [r for r in repeats if r is not None]))
    routine = Routine(
        name=name,
        title=checker.required_text(data, "title", (), ""),
        steps=steps,
        description=checker.get(data, "description", str, (), "", ""),
        tags=checker.text_list(data, "tags", (), ""),
        sources=checker.text_list(data, "sources", (), ""),
        intro=checker.get(data, "intro", str, (), "", DEFAULT_INTRO),
        finish=checker.get(data, "finish", str, (), "", DEFAULT_FINISH),
        path=checker.source.path,
    )
    _check_spoken(checker, routine.intro, ("intro",), "intro")
    _check_spoken(checker, routine.finish, ("finish",), "finish")
    if routine.duration > MAX_ROUTINE_SECONDS:
        checker.report(
            (), "", f"routine lasts {routine.duration / 60:.0f} minutes; the limit is 120"
        )
    return routine


def _inheritable(checker: Checker, table: dict, where: Where, label: str, base: Step) -> dict:
    """The keys a step may take from ``[defaults]``, checked the same way in both places."""
    return {
        **_areas(checker, table, where, label, base),
        "stroke": checker.choice(table, "stroke", where, label, base.stroke, STROKES),
        "tempo": _tempo(checker, table, where, label, base.tempo),
        "countdown": checker.integer(table, "countdown", where, label, base.countdown, 0, 10),
        "warning": checker.duration(table, "warning", where, label, base.warning, 0, 300),
        "first_side": checker.choice(
            table, "first_side", where, label, base.first_side, ("left", "right")
        ),
        "clock_after_say": checker.get(
            table, "clock_after_say", bool, where, label, base.clock_after_say
        ),
    }


def _areas(checker: Checker, table: dict, where: Where, label: str, base: Step) -> dict:
    """``area = "cheeks"`` or a list of areas lit together (the first one leads)."""
    value = table.get("area")
    if not isinstance(value, list):
        return {
            "area": checker.choice(table, "area", where, label, base.area, AREAS),
            "also_lit": () if "area" in table else base.also_lit,
        }
    table = {str(i): item for i, item in enumerate(value, start=1)}  # "area.2": the second
    areas = [
        checker.choice(table, key, (*where, "area"), f"{label}.area", "", AREAS) for key in table
    ]
    if not value:
        checker.report((*where, "area"), f"{label}.area", "must name at least one area")
        return {"area": base.area, "also_lit": base.also_lit}
    return {"area": areas[0], "also_lit": tuple(a for a in dict.fromkeys(areas) if a != areas[0])}


def _step(checker: Checker, raw: Any, index: int, inherited: dict) -> Step:
    where: Where = ("step", index)
    if not isinstance(raw, dict):
        checker.report(where, f"step {index + 1}", "must be a [[step]] table")
        return Step("", "")
    label = _label(raw, index)
    checker.unknown_keys(raw, _STEP_KEYS, where, label)
    sides, side_order = read_sides(checker, raw, where, label)
    fields = _inheritable(checker, raw, where, label, Step("", "", **inherited))
    wait = checker.get(raw, "wait", bool, where, label, False)
    count, count_seconds = read_count(checker, raw, where, label)
    step = Step(
        name=checker.required_text(raw, "name", where, label),
        say=checker.required_text(raw, "say", where, label),
        wait=wait,
        duration=_step_duration(checker, raw, where, label, wait),
        sides=sides,
        side_order=side_order,
        switch=checker.get(raw, "switch", str, where, label, DEFAULT_SWITCH),
        reps=checker.integer(raw, "reps", where, label, 0, 0, 200),
        line=checker.source.line(*where),
        count=count,
        count_seconds=count_seconds,
        **fields,
    )
    cues = tuple(_cues(checker, raw, where, label, step))
    step = Step(**{**step.__dict__, "cues": cues})
    _check_step(checker, step, raw, where, label)
    return step


def _label(raw: dict, index: int) -> str:
    name = raw.get("name") if isinstance(raw.get("name"), str) else ""
    return f'step {index + 1} ("{name}")' if name else f"step {index + 1}"


def _step_duration(checker: Checker, raw: dict, where: Where, label: str, wait: bool) -> float:
    if wait:
        if "duration" in raw:
            message = "a wait step has no duration; remove one of 'wait' or 'duration'"
            checker.report((*where, "duration"), f"{label}.duration", message)
        return 0.0
    if "duration" not in raw:
        checker.report(where, label, "'duration' is missing; give one, or set wait = true")
        return 0.0
    return checker.duration(raw, "duration", where, label, 0.0, 1, MAX_STEP_SECONDS)


def _cues(checker: Checker, raw: dict, where: Where, label: str, step: Step) -> list[Cue]:
    cues = []
    for number, cue in enumerate(checker.get(raw, "cue", list, where, label, [])):
        cue_where: Where = (*where, "cue", number)
        cue_label = f"{label}.cue {number + 1}"
        if not isinstance(cue, dict):
            checker.report(cue_where, cue_label, "must be a [[step.cue]] table")
            continue
        checker.unknown_keys(cue, _CUE_KEYS, cue_where, cue_label)
        at = _cue_offset(checker, cue, cue_where, cue_label, step)
        say = checker.get(cue, "say", str, cue_where, cue_label, "")
        sound = _sound(checker, cue, cue_where, cue_label)
        if not cue.get("say") and not cue.get("sound"):  # an invalid sound is reported already
            checker.report(cue_where, cue_label, "needs 'say', 'sound' or both")
        sided = ("side", "other") if step.sides else ()
        _check_spoken(checker, say, (*cue_where, "say"), f"{cue_label}.say", extra=sided)
        cues.append(Cue(at, say, sound, checker.source.line(*cue_where)))
    return cues


def _cue_offset(checker: Checker, cue: dict, where: Where, label: str, step: Step) -> float:
    if step.wait:
        checker.report(where, label, "a wait step cannot have timed cues")
        return 0.0
    if cue.get("at") == "halfway":
        return step.duration / 2
    if "at" not in cue:
        checker.report(where, label, '\'at\' is missing; give an offset like "20s" or "halfway"')
        return 0.0
    at = checker.duration(cue, "at", where, label, 0.0, 0, MAX_STEP_SECONDS)
    if step.duration and at >= step.duration:
        checker.report(
            (*where, "at"),
            f"{label}.at",
            f"is past the end of the step, which lasts {step.duration:g}s",
        )
    return at


def _sound(checker: Checker, cue: dict, where: Where, label: str) -> str:
    sound = checker.get(cue, "sound", str, where, label, "")
    if sound and sound not in SOUNDS and not re.fullmatch(r"[\w][\w.-]*\.(wav|ogg)", sound):
        message = f"must be one of {', '.join(SOUNDS)} or a .wav/.ogg file in the sounds folder"
        checker.report((*where, "sound"), f"{label}.sound", message)
        return ""
    return sound


def _check_step(checker: Checker, step: Step, raw: dict, where: Where, label: str) -> None:
    sided = ("side", "other") if step.sides else ()
    _check_spoken(checker, step.say, (*where, "say"), f"{label}.say", extra=sided)
    _check_spoken(
        checker, step.switch, (*where, "switch"), f"{label}.switch", extra=("side", "other")
    )
    if step.wait and (step.sides or step.reps or step.count):
        checker.report(where, label, "a wait step cannot have sides, reps or a count")
    if step.reps and step.count:
        checker.report(where, label, "use 'reps' to count numbers or 'count' for words, not both")
    check_cycle(checker, step.count_seconds, step.part_length, where, label)
    if step.reps and step.duration and step.part_length / step.reps < MIN_REP_SECONDS:
        message = f"{step.reps} reps in {step.part_length:g}s is too fast to count aloud"
        checker.report((*where, "reps"), f"{label}.reps", message)
    if "countdown" in raw and step.duration and step.countdown >= step.part_length:
        checker.report((*where, "countdown"), f"{label}.countdown", "must be shorter than the step")


def _check_spoken(
    checker: Checker, text: str, where: Where, label: str, extra: tuple[str, ...] = ()
) -> None:
    if len(text) > MAX_SPOKEN:
        checker.report(where, label, f"is {len(text)} characters; the limit is {MAX_SPOKEN}")
    allowed = (*FILL_INS, *extra)
    try:
        fields = [(f, s or c) for _, f, s, c in string.Formatter().parse(text) if f is not None]
    except ValueError:
        checker.report(where, label, "has an unmatched { or }; write {{ or }} for a brace")
        return
    for field_name, extra_format in fields:
        if field_name in allowed and extra_format:  # "{step:d}" would fail when planning
            checker.report(where, label, f"write the fill-in as just {{{field_name}}}")
        elif field_name not in allowed:
            names = ", ".join("{" + name + "}" for name in allowed)
            checker.report(where, label, f"unknown fill-in {{{field_name}}}; use one of {names}")


def _tempo(checker: Checker, table: dict, where: Where, label: str, default: float) -> float:
    """Ticks faster than two a second are noise, not pacing; 0 turns them off."""
    tempo = checker.duration(table, "tempo", where, label, default, 0, 60)
    if 0 < tempo < MIN_TEMPO:
        checker.report((*where, "tempo"), f"{label}.tempo", 'must be "0s" (off) or 0.5s to 1m')
        return default
    return tempo
