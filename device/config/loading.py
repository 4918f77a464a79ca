"""Reading config.toml into a Config: every problem collected, each with its line.

``check`` reads strictly (any problem fails); the daemon and the other commands
read forgivingly: a bad key keeps its default and the problem is logged, so one
typo never leaves the mirror dead after a reboot.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from device.config.schema import SCHEMA, SECTIONS, Config
from device.core.tomlsource import read_source
from device.core.validate import Checker
from device.exc import InvalidFileError, Problem


def read_config(path: Path | None) -> tuple[Config, list[Problem]]:
    """Defaults overlaid with ``path``, and its problems; each bad key keeps its default."""
    if path is None:
        return Config(), []
    try:
        checker = Checker(read_source(path))
    except InvalidFileError as error:  # unreadable or not TOML: every key keeps its default
        return Config(), error.problems
    checker.unknown_keys(checker.source.data, SCHEMA, (), "")
    sections = {name: _section(checker, name) for name in SECTIONS}
    config = Config(**sections, path=str(path))
    return config, sorted(checker.problems, key=lambda p: p.line)


def _section(checker: Checker, name: str) -> Any:
    table = checker.get(checker.source.data, name, dict, (), "", {})
    kinds = SCHEMA[name]
    checker.unknown_keys(table, kinds, (name,), name)
    values = {
        key: checker.parse(table, key, (name,), name, kind.default, kind.parse)
        for key, kind in kinds.items()
    }
    return SECTIONS[name](**values)


def check_pins(config: Config) -> list[Problem]:
    """Two functions on one pin is a wiring mistake worth catching before start-up."""
    # single-button mode leaves NEXT's and REPEAT's pins free
    wanted = [(f"buttons.{name}", pin) for name, pin in config.buttons.in_use().items()]
    if config.motion.enabled:
        wanted.append(("motion.pin", config.motion.pin))
    if config.led.enabled:
        wanted.append(("led.pin", config.led.pin))
    used: dict[int, str] = {}
    problems = []
    for key, pin in wanted:
        if pin in used:
            message = f"GPIO{pin} is already used by {used[pin]}"
            problems.append(Problem(config.path or "config", 1, key, message))
        used[pin] = key
    return problems


def load_config(path: Path | None) -> Config:
    """Defaults overlaid with ``path``; InvalidFileError lists every problem."""
    config, problems = read_config(path)
    if problems:
        raise InvalidFileError(problems)
    return config


def load_checked(path: Path | None) -> Config:
    """The strict reader, for ``check``: any problem is an InvalidFileError."""
    config, problems = read_config(path)
    problems += check_pins(config)
    if problems:
        raise InvalidFileError(problems)
    return config


def load_forgiving(path: Path | None) -> tuple[Config, list[Problem]]:
    """For the daemon and the other commands: each bad key keeps its default and the
    problems are handed back to log."""
    config, problems = read_config(path)
    return config, problems + check_pins(config)
