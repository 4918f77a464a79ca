"""A planned cue and the ranks that decide who speaks when two phrases meet."""

from __future__ import annotations

from dataclasses import dataclass, field

RANK_TICK, RANK_COUNT, RANK_CUE, RANK_COUNTDOWN, RANK_STEP = range(5)


@dataclass(frozen=True)
class Planned:
    """One cue: ``kind`` is "say" or "sound"; ``at`` is seconds into its step."""

    at: float
    kind: str
    content: str
    rank: int
    line: int = field(default=0, compare=False)  # the line of the cue it comes from (0: none)
