"""Each routine's phrases, planned again only when the routine or a length it used changed.

Planning a routine is pure: the same routine planned with the same phrase lengths says
the same phrases. Planning the library costs ~5 ms a routine on a busy Pi-class core,
so a reload among 300 unchanged files would re-plan 300 routines for nothing; this
keeps each plan with the lengths it asked for and checks those (dict look-ups) instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from device.core.routine import Routine
from device.core.timeline import all_phrases, plan


class PlanMemo:
    """The phrases of each routine as last planned; one thread uses it (the renderer's)."""

    def __init__(self) -> None:
        self.plans: dict[int, tuple[Routine, dict[str, float], frozenset[str]]] = {}
        self.planned = 0  # routines planned afresh, for tests and logs

    def phrases(
        self, routines: Sequence[Routine], length: Callable[[str], float]
    ) -> list[frozenset[str]]:
        """Every phrase each routine can speak, planned with ``length``; routines not
        given are forgotten."""
        kept: dict[int, tuple[Routine, dict[str, float], frozenset[str]]] = {}
        for routine in routines:
            entry = kept.get(id(routine)) or self.plans.get(id(routine))
            if entry is None or entry[0] is not routine or _stale(entry[1], length):
                entry = self._plan(routine, length)
            kept[id(routine)] = entry
        self.plans = kept
        return [kept[id(routine)][2] for routine in routines]

    def _plan(
        self, routine: Routine, length: Callable[[str], float]
    ) -> tuple[Routine, dict[str, float], frozenset[str]]:
        asked: dict[str, float] = {}

        def recorded(text: str) -> float:
            asked[text] = length(text)
            return asked[text]

        self.planned += 1
        return routine, asked, frozenset(all_phrases(plan(routine, recorded)))


def _stale(asked: dict[str, float], length: Callable[[str], float]) -> bool:
    """Whether any length the plan was made with has changed (then its words may have)."""
    return any(length(text) != seconds for text, seconds in asked.items())
