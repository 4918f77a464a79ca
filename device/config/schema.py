"""The config file: a typed schema, every key documented, every problem collected.

Looked up in order: ``--config PATH``, ``/etc/massage-timer/config.toml`` (the
system service), ``$XDG_CONFIG_HOME/massage-timer/config.toml``, else defaults.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from device.core.speech_rules import parse_span
from device.core.tomlsource import read_source
from device.core.validate import Checker
from device.exc import InvalidFileError, Problem

SYSTEM_CONFIG = Path("/etc/massage-timer/config.toml")


@dataclass(frozen=True)
class Key:
    """One config key: its kind, default, limits and a line of help for the docs."""

    kind: str  # text, int, float, bool, duration, choice, pin, span ("22:00-07:00")
    default: Any
    help: str
    low: float = 0
    high: float = 0
    choices: tuple[str, ...] = ()


SCHEMA: dict[str, dict[str, Key]] = {
    "routines": {
        "folder": Key("text", "", "routines folder; empty means the bundled routines/"),
        "selected": Key("text", "demo", "routine selected at start-up"),
        "program": Key("text", "", "program to follow (a file in routines/programs), or empty"),
        "program_start": Key("text", "", "first day of the program, YYYY-MM-DD"),
    },
    "voice": {
        "voice": Key("text", "en", "espeak-ng voice (see `massage-timer voices`)"),
        "rate": Key("int", 150, "words per minute", 80, 300),
        "volume": Key("float", 0.8, "speech volume, 0 to 1", 0, 1),
        "quiet_hours": Key("span", "", 'lower volume between these times, e.g. "22:00-07:00"'),
        "quiet_volume": Key("float", 0.4, "speech and sound volume during quiet hours", 0, 1),
    },
    "audio": {
        "enabled": Key("bool", True, "false runs display-only"),
        "device": Key("text", "", "output by name (`massage-timer audio-devices`); empty: default"),
        "idle_close": Key(
            "duration", 5.0, "quiet seconds before the output closes; 0: never (Bluetooth)", 0, 3600
        ),
        "frequency": Key("int", 22050, "mixer sample rate, Hz", 8000, 48000),
        "buffer": Key("int", 256, "mixer buffer, samples; 512 if sound crackles", 128, 4096),
        "effects_volume": Key("float", 0.6, "chimes, ticks and beeps, 0 to 1", 0, 1),
        "sounds": Key("text", "", "folder of extra .wav/.ogg files routines may name"),
        "cache": Key("text", "", "speech cache folder; empty means the user cache folder"),
        "cache_mb": Key("int", 200, "speech cache size limit, MB", 5, 5000),
    },
    "buttons": {
        "play": Key("pin", 17, "PLAY button, BCM number"),
        "next": Key("pin", 27, "NEXT button, BCM number"),
        "repeat": Key("pin", 22, "REPEAT button, BCM number"),
        "hold": Key("duration", 1.0, "seconds that make a press a hold", 0.3, 5),
        "bounce": Key("duration", 0.05, "debounce time, seconds", 0, 0.5),
        "double": Key("duration", 0.4, "double-press window in single-button mode", 0.1, 1.5),
        "single_button": Key("bool", False, "one button: press, double-press, hold"),
    },
    "motion": {
        "enabled": Key("bool", False, "PIR motion sensor wakes the screen"),
        "pin": Key("pin", 4, "PIR sensor output, BCM number"),
        "pause_after": Key("duration", 0.0, "pause when nobody is near; 0 = never", 0, 3600),
    },
    "led": {
        "enabled": Key("bool", False, "status LED: steady when running, breathing when paused"),
        "pin": Key("pin", 23, "LED (with resistor), BCM number; 18 is the I2S amp's clock"),
    },
    "display": {
        "enabled": Key("bool", True, "false runs audio-only"),
        "width": Key("int", 0, "window width; 0 = the screen's own", 0, 7680),
        "height": Key("int", 0, "window height; 0 = the screen's own", 0, 4320),
        "rotation": Key("choice", "0", "degrees clockwise", choices=("0", "90", "180", "270")),
        "mirror_face": Key("bool", True, "draw the face map as the user's reflection"),
        "wake": Key("duration", 60.0, "seconds the idle screen stays lit", 5, 3600),
        "framebuffer": Key("text", "", "write frames to this /dev/fbN (SPI panels) instead of SDL"),
    },
    "daemon": {
        "socket": Key("text", "", "control socket; empty: the runtime folder"),
        "state": Key("text", "", "resume and history folder; empty: user state"),
        "resume_window": Key("duration", 6 * 3600.0, "offer to resume within", 0, 7 * 86400),
    },
}


class Config(dict):
    """``config["voice"]["rate"]``: every section and key present, defaults filled in."""

    path: str = ""


def defaults() -> Config:
    config = Config(
        {name: {k: key.default for k, key in keys.items()} for name, keys in SCHEMA.items()}
    )
    return config


def find_config(explicit: str | None = None) -> Path | None:
    """The config file to read, or None for built-in defaults."""
    if explicit:
        return Path(explicit)
    if SYSTEM_CONFIG.exists():
        return SYSTEM_CONFIG
    xdg = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    user = xdg / "massage-timer" / "config.toml"
    return user if user.exists() else None


def load_config(path: Path | None) -> Config:
    """Defaults overlaid with ``path``; InvalidFileError lists every problem."""
    config, problems = read_config(path)
    if problems:
        raise InvalidFileError(problems)
    return config


def read_config(path: Path | None) -> tuple[Config, list[Problem]]:
    """Defaults overlaid with ``path``, and its problems; each bad key keeps its default."""
    config = defaults()
    if path is None:
        return config, []
    try:
        checker = Checker(read_source(path))
    except InvalidFileError as error:  # unreadable or not TOML: every key keeps its default
        return config, error.problems
    checker.unknown_keys(checker.source.data, SCHEMA, (), "")
    for name, keys in SCHEMA.items():
        section = checker.get(checker.source.data, name, dict, (), "", {})
        checker.unknown_keys(section, keys, (name,), name)
        for key_name, key in keys.items():
            config[name][key_name] = _value(checker, section, key_name, key, name)
    config.path = str(path)
    return config, sorted(checker.problems, key=lambda p: p.line)


def _value(checker: Checker, section: dict, name: str, key: Key, label: str) -> Any:
    where = (label,)
    if key.kind == "text":
        return checker.get(section, name, str, where, label, key.default)
    if key.kind == "bool":
        return checker.get(section, name, bool, where, label, key.default)
    if key.kind == "int":
        return checker.integer(
            section, name, where, label, key.default, int(key.low), int(key.high)
        )
    if key.kind == "pin":
        return checker.integer(section, name, where, label, key.default, 2, 27)
    if key.kind == "choice":
        if isinstance(section.get(name), int):
            section = {**section, name: str(section[name])}
        return checker.choice(section, name, where, label, key.default, key.choices)
    if key.kind == "duration":
        return checker.duration(section, name, where, label, key.default, key.low, key.high)
    if key.kind == "span":
        text = checker.get(section, name, str, where, label, key.default)
        if text.strip() and parse_span(text) is None:
            message = f'must be like "22:00-07:00", not "{text}"'
            checker.report((label, name), f"{label}.{name}", message)
            return key.default
        return text
    value = checker.get(section, name, float, where, label, key.default)
    if not key.low <= value <= key.high:
        checker.report(
            (label, name), f"{label}.{name}", f"must be {key.low:g} to {key.high:g}, not {value:g}"
        )
        return key.default
    return value


def check_pins(config: Config) -> list[Problem]:
    """Two functions on one pin is a wiring mistake worth catching before start-up."""
    used: dict[int, str] = {}
    problems = []
    buttons = ("play",) if config["buttons"]["single_button"] else ("play", "next", "repeat")
    wanted = [("buttons", b) for b in buttons]  # single-button mode leaves the others free
    wanted += [(s, "pin") for s in ("motion", "led") if config[s]["enabled"]]
    for section, key in wanted:
        pin = config[section][key]
        if pin in used:
            message = f"GPIO{pin} is already used by {used[pin]}"
            problems.append(Problem(config.path or "config", 1, f"{section}.{key}", message))
        used[pin] = f"{section}.{key}"
    return problems


def load_checked(path: Path | None) -> Config:
    """The strict reader, for ``check``: any problem is an InvalidFileError."""
    config, problems = read_config(path)
    problems += check_pins(config)
    if problems:
        raise InvalidFileError(problems)
    return config


def load_forgiving(path: Path | None) -> tuple[Config, list[Problem]]:
    """For the daemon and the other commands: a typo must not leave the mirror dead after
    a reboot, so each bad key keeps its default and the problems are handed back to log."""
    config, problems = read_config(path)
    return config, problems + check_pins(config)
