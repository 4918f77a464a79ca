"""Durations in, durations out: parsing ``1m30s`` and saying "one minute thirty"."""

from __future__ import annotations

import math
import re

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


def format_clock(seconds: float) -> str:
    """``m:ss`` for the screen and the terminal, rounding up so 0:00 means done."""
    whole = max(0, int(-(-seconds // 1)))
    return f"{whole // 60}:{whole % 60:02d}"


def format_short(seconds: float) -> str:
    """``1m30s`` style, the way routine files write durations."""
    if seconds < 60 and seconds != round(seconds):
        return f"{seconds:g}s"  # config limits such as 0.05s must not round to "0s"
    whole = round(seconds)
    minutes, secs = divmod(whole, 60)
    if minutes and secs:
        return f"{minutes}m{secs:02d}s"
    return f"{minutes}m" if minutes else f"{secs}s"


def number_words(n: int) -> str:
    """English words for 0..999, which is all a routine ever counts."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    hundreds, rest = divmod(n, 100)
    return f"{_ONES[hundreds]} hundred" + (f" and {number_words(rest)}" if rest else "")


def say_duration(seconds: float) -> str:
    """A spoken length: "four minutes", "one minute thirty", "forty-five seconds"."""
    whole = round(seconds)
    minutes, secs = divmod(whole, 60)
    if not minutes:
        return f"{number_words(secs)} second{'s' * (secs != 1)}"
    head = f"{number_words(minutes)} minute{'s' * (minutes != 1)}"
    return f"{head} {number_words(secs)}" if secs else head
