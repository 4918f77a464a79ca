"""Who speaks when, and how loud: pure rules the speaker follows (no pygame, no clock).

``SpeechQueue`` keeps the speech channel to one phrase at a time:

- a phrase of higher rank cuts the current one short (it fades out) and starts on time;
- a rep count that arrives while something else is said is dropped (the speaker
  plays a ducked tick instead, so the beat is kept);
- anything else waits its turn, highest rank first, and is dropped if it would
  start later than its rank allows (a stale "ten seconds" is worse than none).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, time

from device.core.session import Action, Say, Sound, State, StateChanged, StepStarted
from device.core.timeline import RANK_COUNT, RANK_COUNTDOWN, RANK_CUE, RANK_STEP, RANK_TICK

log = logging.getLogger(__name__)

DUCK = 0.4  # effects volume while speech plays: heard, but under the voice
MAX_LATE = {RANK_COUNT: 0.3, RANK_CUE: 2.0, RANK_COUNTDOWN: 0.75, RANK_STEP: 60.0}


@dataclass(frozen=True)
class Phrase:
    text: str
    rank: int
    due: float
    length: float


@dataclass(frozen=True)
class Speak:
    """Start this phrase now."""

    phrase: Phrase


@dataclass(frozen=True)
class Fade:
    """Stop the phrase playing now (it fades out)."""


@dataclass(frozen=True)
class Effect:
    """Play this sound now (ducked if speech is playing)."""

    name: str


Play = Speak | Fade | Effect


class SpeechQueue:
    """The speech channel's schedule: the phrase playing, until when, and who waits."""

    def __init__(self) -> None:
        self.current: Phrase | None = None
        self.ends = float("-inf")
        self.pending: list[Phrase] = []
        self.dropped: list[Phrase] = []  # for the log and the tests

    def busy(self, now: float) -> bool:
        return self.current is not None and now < self.ends

    def offer(self, phrase: Phrase, now: float) -> str:
        """ "start" (channel free), "cut" (cut the current one, then start),
        "wait" (queued) or "drop"."""
        current = self.current
        if current is None or not self.busy(now):
            self._begin(phrase, now)
            return "start"
        if phrase.rank > current.rank:
            self._begin(phrase, now)
            return "cut"
        if phrase.rank <= RANK_COUNT:
            self.dropped.append(phrase)
            return "drop"
        self.pending.append(phrase)
        return "wait"

    def take(
        self, actions: Sequence[Action], now: float, length: Callable[[str], float | None]
    ) -> Iterator[Play]:
        """What to play for one batch of session actions, in order: the speaker and the
        audible timeline (``device.core.audible``) both follow these steps. ``length``
        gives a phrase's seconds, or None if it has no sound (a chime stands in)."""
        if any(isinstance(a, StepStarted) for a in actions) and self.current:
            yield from self._stop(now)  # a new step silences the old one's leftovers
            self.pending.clear()
        if any(_is(a, State.DONE) or _is(a, State.PAUSED) for a in actions):
            self.drop_below(RANK_STEP)
            if not any(isinstance(a, Say) for a in actions):
                yield from self._stop(now)
        for action in actions:
            if isinstance(action, Sound):
                yield Effect(action.name)
            elif isinstance(action, Say):
                yield from self._said(action, now, length(action.text))

    def _said(self, action: Say, now: float, seconds: float | None) -> Iterator[Play]:
        if seconds is None:
            yield Effect("chime")  # a phrase that failed to render: at least a chime
            return
        phrase = Phrase(action.text, action.rank, action.due, seconds)
        verdict = self.offer(phrase, now)
        if verdict == "cut":
            yield Fade()
        if verdict in ("start", "cut"):
            yield Speak(phrase)
        elif verdict == "drop" and action.rank > RANK_TICK:
            yield Effect("tick")  # a rep that cannot be said still keeps the beat

    def _stop(self, now: float) -> Iterator[Play]:
        yield Fade()
        self.silence(now)

    def next(self, now: float) -> Phrase | None:
        """The waiting phrase to start now, if the channel is free (stale ones are dropped)."""
        if self.busy(now):
            return None
        self.current = None
        while self.pending:
            phrase = max(self.pending, key=lambda p: (p.rank, -p.due))
            self.pending.remove(phrase)
            if now - phrase.due <= MAX_LATE.get(phrase.rank, 1.0):
                self._begin(phrase, now)
                return phrase
            self.dropped.append(phrase)
        return None

    def wake_in(self, now: float) -> float | None:
        """Seconds until the pump has work (a waiting phrase can start), else None."""
        if not self.pending:
            return None
        return max(0.0, self.ends - now)

    def silence(self, now: float) -> None:
        """The current phrase was stopped (cut, or the device went away)."""
        if self.busy(now):
            self.ends = now

    def drop_below(self, rank: int) -> None:
        self.dropped += [p for p in self.pending if p.rank < rank]
        self.pending = [p for p in self.pending if p.rank >= rank]

    def _begin(self, phrase: Phrase, now: float) -> None:
        self.current, self.ends = phrase, now + phrase.length


def _is(action: Action, state: State) -> bool:
    return isinstance(action, StateChanged) and action.state is state


def parse_span(text: str) -> tuple[time, time] | None:
    """``"22:00-07:00"`` -> (22:00, 07:00); None when ``text`` is not like that."""
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", text)
    if match is None:
        return None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    try:
        return time(h1, m1), time(h2, m2)
    except ValueError:  # 25:00, 07:61
        return None


@dataclass(frozen=True)
class QuietHours:
    """A daily span like "22:00-07:00" (it may wrap past midnight) of lower volume."""

    start: time | None = None
    end: time | None = None
    wall: Callable[[], datetime] = datetime.now

    @classmethod
    def parse(cls, text: str, wall: Callable[[], datetime] = datetime.now) -> QuietHours:
        """The span in ``text`` ("" for none); config.py has already reported a bad one."""
        if not text.strip():
            return cls(wall=wall)
        span = parse_span(text)
        if span is None:
            log.warning('voice.quiet_hours: %r is not like "22:00-07:00"; ignored', text)
            return cls(wall=wall)
        return cls(*span, wall)

    def now(self) -> bool:
        return self.covers(self.wall().time())

    def covers(self, moment: time) -> bool:
        if self.start is None or self.end is None or self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end
