"""Durations in, durations out: every way the device writes or says a length.

Four forms, one place: ``parse_duration`` reads what files say; ``format_clock``
("1:30") is for countdowns and tables, ``format_short`` ("1m30s") for messages that
echo the file syntax, ``format_length`` ("1 min 30 s") for the idle card and
``say_duration`` ("one minute thirty") for speech. The three worded forms differ
only in their words, so they share ``_in_words``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import NamedTuple

_DURATION = re.compile(
    r"^(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m(?!s))?(?:(?P<s>\d+(?:\.\d+)?)s)?(?:(?P<ms>\d+)ms)?$"
)
_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def parse_duration(value: object) -> float:
    """Seconds from ``90``, ``"90"``, ``"45s"``, ``"1m30s"``, ``"80ms"`` or ``"1h"``.

    Anything else is a ValueError.
    """
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        # TOML integers are unbounded; a 400-digit one is "too long", not a crash
        return float(value) if abs(value) < 10**300 else (math.inf if value > 0 else -math.inf)
    if isinstance(value, float):
        return value
    if not isinstance(value, str):
        raise ValueError
    text = value.strip().replace(" ", "")
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    match = _DURATION.match(text)
    if not text or not match:
        raise ValueError
    hours, minutes, seconds, millis = (float(match[k] or 0) for k in ("h", "m", "s", "ms"))
    return hours * 3600 + minutes * 60 + seconds + millis / 1000


def format_clock(seconds: float, decimals: int = 0) -> str:
    """``m:ss`` (``m:ss.s`` with one decimal), rounded up so ``0:00`` means done."""
    scale = 10**decimals
    units = max(0, math.ceil(round(seconds * scale, 6)))  # round: 0.3 * 10 is 3.0000000004
    minutes, rest = divmod(units, 60 * scale)
    width = 2 + (decimals + 1 if decimals else 0)
    return f"{minutes}:{rest / scale:0{width}.{decimals}f}"


class _Words(NamedTuple):
    """How one form writes a length: under a minute, whole minutes, the seconds after."""

    seconds: Callable[[int], str]
    minutes: Callable[[int], str]
    and_seconds: Callable[[int], str]


def _in_words(seconds: float, words: _Words) -> str:
    minutes, secs = divmod(round(seconds), 60)
    if not minutes:
        return words.seconds(secs)
    return words.minutes(minutes) + (words.and_seconds(secs) if secs else "")


_FILE = _Words(lambda s: f"{s}s", lambda m: f"{m}m", lambda s: f"{s:02d}s")
_LABEL = _Words(lambda s: f"{s} s", lambda m: f"{m} min", lambda s: f" {s} s")


def format_moment(seconds: float) -> str:
    """``m:ss`` to the nearest second: when something happens."""
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}:{rest:02d}"


def format_short(seconds: float) -> str:
    """``1m30s`` style, the way routine files write durations."""
    if seconds < 60 and seconds != round(seconds):
        return f"{seconds:g}s"  # config limits such as 0.05s must not round to "0s"
    return _in_words(seconds, _FILE)


def format_length(seconds: float) -> str:
    """``4 min``, ``4 min 30 s``, ``45 s``: a length to read at a glance."""
    return _in_words(seconds, _LABEL)


def number_words(n: int) -> str:
    """English words for 0..999, which is all a routine ever counts."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    hundreds, rest = divmod(n, 100)
    return f"{_ONES[hundreds]} hundred" + (f" and {number_words(rest)}" if rest else "")


def _plural(n: int, unit: str) -> str:
    return f"{number_words(n)} {unit}{'s' * (n != 1)}"


_SPOKEN = _Words(
    lambda s: _plural(s, "second"), lambda m: _plural(m, "minute"), lambda s: f" {number_words(s)}"
)


def say_duration(seconds: float) -> str:
    """A spoken length: "four minutes", "one minute thirty", "forty-five seconds"."""
    return _in_words(seconds, _SPOKEN)
