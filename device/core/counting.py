"""Counts a routine says aloud: numbers (``reps``) or its own words in cycles (``count``).

``count = ["In", "hold", "out"]`` with ``count_seconds = ["4s", "2s", "4s"]`` says
each word at the start of its phase, cycle after cycle, from the start of each
side's clock. ``{n}`` in a word is the cycle's number ("Hold {n}" -> "Hold two").
"""

from __future__ import annotations

import string

from device.core.durations import format_short, number_words
from device.core.tomlsource import Where
from device.core.validate import Checker

MAX_WORDS = 8
MAX_WORD = 60
MIN_PHASE = 0.5


def read_count(
    checker: Checker, raw: dict, where: Where, label: str
) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """The step's count words and the seconds of each, checked (both empty if none)."""
    words = checker.text_list(raw, "count", where, label)
    if "count_seconds" in raw and not words:
        checker.report((*where, "count_seconds"), f"{label}.count_seconds", "needs 'count'")
    if not words:
        return (), ()
    if len(words) > MAX_WORDS or not all(w.strip() and len(w) <= MAX_WORD for w in words):
        message = f"must be 1 to {MAX_WORDS} words or short phrases, none empty"
        checker.report((*where, "count"), f"{label}.count", message)
        return (), ()
    for word in words:
        _check_word(checker, word, (*where, "count"), f"{label}.count")
    return words, _seconds(checker, raw, where, label, len(words))


def _check_word(checker: Checker, word: str, where: Where, label: str) -> None:
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(word) if name is not None]
    except ValueError:
        checker.report(where, label, "has an unmatched { or }; write {{ or }} for a brace")
        return
    if any(name != "n" for name in fields):
        checker.report(where, label, "the only fill-in a count word takes is {n}")


def _seconds(checker: Checker, raw: dict, where: Where, label: str, count: int) -> tuple:
    key_where, key_label = (*where, "count_seconds"), f"{label}.count_seconds"
    if "count_seconds" not in raw:
        checker.report(where, label, "'count_seconds' is missing: how long each word's phase lasts")
        return ()
    value = raw["count_seconds"]
    values = value if isinstance(value, list) else [value] * count
    if len(values) != count:
        message = f"has {len(values)} values for {count} count words; give one for each"
        checker.report(key_where, key_label, message)
        return ()
    table = {str(i): v for i, v in enumerate(values)}
    seconds = tuple(
        checker.duration(table, str(i), key_where, key_label, 0.0, MIN_PHASE, 600)
        for i in range(count)
    )
    return seconds if all(seconds) else ()


def check_cycle(
    checker: Checker, seconds: tuple[float, ...], part: float, where: Where, label: str
) -> None:
    cycle = sum(seconds)
    if part and cycle > part + 1e-9:
        message = f"one cycle lasts {format_short(cycle)}, longer than the step or side it counts"
        checker.report(
            (*where, "count_seconds"), f"{label}.count_seconds", f"{message} ({format_short(part)})"
        )


def count_words(words: tuple[str, ...], cycle: int) -> list[str]:
    """The words of cycle ``cycle`` (from 1), fill-ins resolved."""
    return [word.format(n=number_words(cycle)) for word in words]
