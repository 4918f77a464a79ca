"""Placing a step's cue and warning speech where it will be heard whole.

The instruction, the side switches and the counts keep their times: they are the
beat. A cue or a "ten seconds" warning is moved to the nearest moment where it
overlaps none of them, and ends before the next beep, switch or the step's end
(the speaker never says two phrases at once, see ``speech_rules``). A cue that
fits nowhere stays where the file put it (``check`` reports it); a warning that
fits nowhere is left out, since a late "ten seconds" is worse than none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from device.core.planned import RANK_COUNT, RANK_COUNTDOWN, RANK_CUE, RANK_STEP, Planned

GAP = 0.2  # seconds of quiet kept between two phrases
STEP = 0.1  # seconds between the moments tried
WINDOWS = {RANK_COUNTDOWN: (1.5, 1.0), RANK_CUE: (8.0, 2.0)}  # (earlier, later) it may move


def fit_speech(
    cues: list[Planned], step_end: float, length: Callable[[str], float]
) -> list[Planned]:
    """``cues`` with their cue and warning phrases placed (see the module doc)."""
    spans = [
        _span(c, length) for c in cues if c.kind == "say" and c.rank in (RANK_STEP, RANK_COUNT)
    ]
    walls = [
        c.at
        for c in cues
        if c.rank >= RANK_COUNTDOWN and (c.kind == "sound" or c.rank == RANK_STEP)
    ]
    walls.append(step_end)
    movable = [c for c in cues if c.kind == "say" and c.rank in WINDOWS]
    kept = [c for c in cues if c not in movable]
    for cue in sorted(movable, key=lambda c: (-c.rank, c.at)):  # warnings first: they outrank
        at = _place(cue.at, length(cue.content), spans, walls, WINDOWS[cue.rank])
        if at is None and cue.rank == RANK_COUNTDOWN:
            continue
        placed = replace(cue, at=cue.at if at is None else at)
        spans.append(_span(placed, length))
        kept.append(placed)
    return kept


def _span(cue: Planned, length: Callable[[str], float]) -> tuple[float, float]:
    return cue.at, cue.at + length(cue.content)


def _place(
    at: float,
    seconds: float,
    spans: list[tuple[float, float]],
    walls: list[float],
    window: tuple[float, float],
) -> float | None:
    """The moment nearest ``at`` (earlier first) where the phrase fits, or None."""
    earlier, later = (round(w / STEP) for w in window)
    for shift in sorted(range(-earlier, later + 1), key=lambda s: (abs(s), s > 0)):
        start = at + shift * STEP
        end = start + seconds + GAP
        if start < 0:
            continue
        clear = all(end <= a or start >= b + GAP for a, b in spans)
        crossed = any(min(start, at) < wall < end for wall in walls)  # never past a boundary
        if clear and not crossed and end <= max(walls) + 1e-9:
            return start
    return None
