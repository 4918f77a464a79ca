"""Config value types that parse themselves, the way Mopidy's ``config/types.py`` does.

Each type knows its default, its line of help for the README, how to turn what
TOML gave into a typed value (``parse`` raises ValueError with the message to
show), and how to write a value back as TOML (``toml``, for the README table).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Generic, TypeVar

from device.core.durations import format_short
from device.core.speech_rules import parse_span
from device.core.validate import as_choice, as_duration, as_int, as_kind, in_range

T = TypeVar("T")


@dataclass(frozen=True)
class ConfigValue(Generic[T]):
    """One config key's kind: its default, help, and how it reads a TOML value."""

    default: T
    help: str

    def parse(self, raw: object) -> T:
        raise NotImplementedError

    def toml(self, value: T) -> str:
        """``value`` as it would be written in config.toml."""
        if isinstance(value, bool):
            return "true" if value else "false"
        return json.dumps(value) if isinstance(value, str) else str(value)


@dataclass(frozen=True)
class Text(ConfigValue[str]):
    def parse(self, raw: object) -> str:
        return as_kind(raw, str)


@dataclass(frozen=True)
class Boolean(ConfigValue[bool]):
    def parse(self, raw: object) -> bool:
        return as_kind(raw, bool)


@dataclass(frozen=True)
class Integer(ConfigValue[int]):
    low: int
    high: int

    def parse(self, raw: object) -> int:
        return as_int(raw, self.low, self.high)


@dataclass(frozen=True)
class Pin(Integer):
    """A BCM GPIO number on the 40-pin header (0 and 1 belong to the HAT EEPROM)."""

    low: int = 2
    high: int = 27


@dataclass(frozen=True)
class Number(ConfigValue[float]):
    low: float
    high: float

    def parse(self, raw: object) -> float:
        return in_range(as_kind(raw, float), self.low, self.high)


@dataclass(frozen=True)
class Duration(ConfigValue[float]):
    """Seconds, written ``"1m30s"``, ``"0.4s"`` or as a plain number."""

    low: float
    high: float

    def parse(self, raw: object) -> float:
        return as_duration(raw, self.low, self.high)

    def toml(self, value: float) -> str:
        return json.dumps(format_short(value))


@dataclass(frozen=True)
class Choice(ConfigValue[str]):
    """One of a few words; a bare number is taken as its text (``rotation = 90``)."""

    choices: tuple[str, ...]

    def parse(self, raw: object) -> str:
        if isinstance(raw, int) and not isinstance(raw, bool):
            raw = str(raw)
        return as_choice(raw, self.choices)


@dataclass(frozen=True)
class Span(ConfigValue[str]):
    """A daily span of clock times, ``"22:00-07:00"``; empty means none."""

    def parse(self, raw: object) -> str:
        text = as_kind(raw, str)
        if text.strip() and parse_span(text) is None:
            raise ValueError(f'must be like "22:00-07:00", not "{text}"')
        return text
