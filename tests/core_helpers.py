"""Helpers for the pure-core tests: a tiny TOML writer, routine strategies, a session driver.

``tomllib`` can read but not write, so ``dumps`` writes the subset routine files use.
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from device.core.routine import (
    AREAS,
    DEFAULT_FINISH,
    DEFAULT_INTRO,
    DEFAULT_SWITCH,
    SOUNDS,
    STROKES,
    Cue,
    Routine,
    Step,
    load_routine,
)
from device.core.session import Action, Command, Say, Session, StateChanged

ROOT = Path(__file__).resolve().parent.parent
ROUTINES = ROOT / "routines"
PROGRAMS = ROUTINES / "programs"
BAD = Path(__file__).resolve().parent / "data" / "bad"

# -- a tiny TOML writer ---------------------------------------------------------


def dumps(data: dict[str, Any]) -> str:
    """TOML text for ``data``: scalars, lists, tables and arrays of tables."""
    return "\n".join(_table_lines(data, ())) + "\n"


def _table_lines(table: dict[str, Any], path: tuple[str, ...]) -> list[str]:
    lines, later = [], []
    for key, value in table.items():
        if isinstance(value, dict):
            later += [f"[{_dotted((*path, key))}]", *_table_lines(value, (*path, key))]
        elif _is_table_array(value):
            for item in value:
                later += [f"[[{_dotted((*path, key))}]]", *_table_lines(item, (*path, key))]
        else:
            lines.append(f"{_key(key)} = {_value(value)}")
    return lines + later


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _dotted(path: tuple[str, ...]) -> str:
    return ".".join(_key(part) for part in path)


def _key(key: str) -> str:
    bare = key and all(c.isascii() and (c.isalnum() or c in "-_") for c in key)
    return key if bare else _string(key)


def _string(text: str) -> str:
    # JSON escapes are valid TOML escapes; TOML also forbids a raw DEL.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + "}"
    return "[" + ", ".join(_value(v) for v in value) + "]"


# -- loading from text ------------------------------------------------------------


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def load_text(text: str | bytes, name: str = "r.toml") -> Routine:
    """Load routine text through a real file (usable inside hypothesis tests)."""
    with tempfile.TemporaryDirectory() as folder:
        return load_routine(write(Path(folder), name, text))


def routine_of(*steps: dict[str, Any], **top: Any) -> Routine:
    """A routine built from step tables, through the real loader."""
    data = {"title": "Test", **top, "step": list(steps)}
    return load_text(dumps(data))


# -- strategies -----------------------------------------------------------------

# Spoken text: letters, digits, punctuation and non-ASCII, but no braces (fill-ins are
# added separately) and no surrogates or control characters.
_WORDS = st.text(
    st.characters(
        codec="utf-8",
        categories=("L", "N", "P", "Zs"),
        exclude_characters="{}",
    ),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip())
_FILL = st.sampled_from(["{routine}", "{step}", "{next}", "{remaining}", "{duration}", "{{", "}}"])
spoken = (
    st.lists(st.one_of(_WORDS, _FILL), min_size=1, max_size=4)
    .map("".join)
    .filter(lambda s: s.strip() and len(s) <= 400)
)
_DURATION_FORMS = ("int", "s", "m", "plain")


def _duration_text(seconds: int, form: str) -> int | str:
    """The same length written the ways a person might write it."""
    if form == "int":
        return seconds
    if form == "plain":
        return str(seconds)
    if form == "m" and seconds >= 60:
        minutes, rest = divmod(seconds, 60)
        return f"{minutes}m{rest}s" if rest else f"{minutes}m"
    return f"{seconds}s"


@st.composite
def durations(draw, low: int, high: int) -> tuple[int, int | str]:
    seconds = draw(st.integers(low, high))
    return seconds, _duration_text(seconds, draw(st.sampled_from(_DURATION_FORMS)))


@st.composite
def defaults_tables(draw) -> dict[str, Any]:
    table: dict[str, Any] = {}
    if draw(st.booleans()):
        table["area"] = draw(st.sampled_from(AREAS))
    if draw(st.booleans()):
        table["stroke"] = draw(st.sampled_from(STROKES))
    if draw(st.booleans()):
        table["tempo"] = draw(durations(0, 10))[1]
    if draw(st.booleans()):
        table["countdown"] = draw(st.integers(0, 10))  # may exceed a short step's length
    if draw(st.booleans()):
        table["warning"] = draw(durations(0, 60))[1]
    if draw(st.booleans()):
        table["first_side"] = draw(st.sampled_from(["left", "right"]))
    return table


@st.composite
def step_tables(draw) -> dict[str, Any]:
    step: dict[str, Any] = {"name": draw(_WORDS), "say": draw(spoken)}
    if draw(st.integers(0, 5)) == 0:
        step["wait"] = True
        return step
    seconds, written = draw(durations(1, 240))
    step["duration"] = written
    sides = draw(st.booleans()) and seconds >= 2
    if sides:
        step["sides"] = True
        if draw(st.booleans()):
            step["switch"] = draw(st.sampled_from(["Now the {side} side.", "Other side."]))
    part = seconds / (2 if sides else 1)
    if draw(st.booleans()) and part >= 3:
        step["reps"] = draw(st.integers(1, int(part / 1.5)))
    if draw(st.booleans()):
        step["countdown"] = draw(st.integers(0, min(10, math.ceil(part) - 1)))
    if draw(st.booleans()):
        step["tempo"] = draw(durations(0, 10))[1]
    if draw(st.booleans()):
        step["area"] = draw(st.sampled_from(AREAS))
    cues = draw(st.lists(cue_tables(seconds), max_size=3))
    if cues:
        step["cue"] = cues
    return step


@st.composite
def cue_tables(draw, seconds: int) -> dict[str, Any]:
    cue: dict[str, Any] = {}
    cue["at"] = draw(st.one_of(st.just("halfway"), durations(0, seconds - 1).map(lambda d: d[1])))
    kind = draw(st.sampled_from(["say", "sound", "both"]))
    if kind != "sound":
        cue["say"] = draw(spoken)
    if kind != "say":
        cue["sound"] = draw(st.sampled_from(SOUNDS))
    return cue


@st.composite
def routine_tables(draw) -> dict[str, Any]:
    """A valid routine as the dict a routine file decodes to."""
    data: dict[str, Any] = {"title": draw(_WORDS)}
    if draw(st.booleans()):
        data["description"] = draw(_WORDS)
    if draw(st.booleans()):
        data["tags"] = draw(st.lists(_WORDS, max_size=3))
    for key in ("intro", "finish"):
        if draw(st.booleans()):
            data[key] = draw(spoken)
    defaults = draw(defaults_tables())
    if defaults:
        data["defaults"] = defaults
    data["step"] = draw(st.lists(step_tables(), min_size=1, max_size=6))
    return data


def expected_routine(data: dict[str, Any], name: str, path: str) -> Routine:
    """The Routine the loader should make of ``data`` (inheritance spelled out again)."""
    from device.core.durations import parse_duration

    base = Step("", "")
    inherited = {
        "area": base.area,
        "stroke": base.stroke,
        "tempo": base.tempo,
        "countdown": base.countdown,
        "warning": base.warning,
        "first_side": base.first_side,
    }
    for key, value in data.get("defaults", {}).items():
        inherited[key] = parse_duration(value) if key in ("tempo", "warning") else value
    steps = []
    for raw in data["step"]:
        fields = dict(inherited)
        for key in inherited:
            if key in raw:
                fields[key] = parse_duration(raw[key]) if key == "tempo" else raw[key]
        duration = 0.0 if raw.get("wait") else parse_duration(raw["duration"])
        cues = tuple(
            Cue(
                duration / 2 if cue["at"] == "halfway" else parse_duration(cue["at"]),
                cue.get("say", ""),
                cue.get("sound", ""),
            )
            for cue in raw.get("cue", [])
        )
        steps.append(
            Step(
                name=raw["name"],
                say=raw["say"],
                duration=duration,
                wait=raw.get("wait", False),
                sides=raw.get("sides", False),
                switch=raw.get("switch", DEFAULT_SWITCH),
                reps=raw.get("reps", 0),
                cues=cues,
                **fields,
            )
        )
    return Routine(
        name=name,
        title=data["title"],
        steps=tuple(steps),
        description=data.get("description", ""),
        tags=tuple(data.get("tags", ())),
        intro=data.get("intro", DEFAULT_INTRO),
        finish=data.get("finish", DEFAULT_FINISH),
        path=path,
    )


# -- driving a session -------------------------------------------------------------


def run_through(session: Session, start: float = 0.0, step: float = 0.25) -> list[Action]:
    """START, then PLAY through wait steps and TICK every ``step`` s until DONE."""
    actions = session.handle(Command.START, start)
    now = start
    while session.state.value != "done":
        if session.state.value == "waiting":
            actions += session.handle(Command.PLAY, now)
            continue
        now += step
        actions += session.handle(Command.TICK, now)
    return actions


def said(actions: list[Action]) -> list[str]:
    return [a.text for a in actions if isinstance(a, Say)]


def active_time(actions: list[Action]) -> float:
    """Seconds spent RUNNING, from the StateChanged actions' ``due`` stamps."""
    total, since = 0.0, None
    for action in actions:
        if not isinstance(action, StateChanged):
            continue
        running = action.state.value == "running"
        if running and since is None:
            since = action.due
        elif not running and since is not None:
            total += action.due - since
            since = None
    return total
