"""The speaker's render worker: speech for a set of phrases, rendered in a thread.

Each request renders the first layer (espeak-ng, seconds for a whole library) and says
speech is ready; then each better layer (Piper) renders the same phrases in order,
reporting each one as it is stored, until it is done or a newer request comes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

from device.audio.layers import SpeechLayers
from device.audio.speech import Progress, RenderReport, SpeechCache
from device.once import Once

ROUNDS = 4  # a plan said with real lengths may say a new total: render that too
# Seconds before phrases that failed are tried again (at the next request), doubling each
# time: a broken voice or a full disk is not retried for the whole library at every save.
RETRY_FIRST, RETRY_MOST = 5.0, 300.0

# Every phrase to render, in the order to render them, planned with the given lengths.
PhrasesFor = Callable[[Callable[[str], float]], Iterable[str]]

log = logging.getLogger(__name__)


class RenderWorker:
    """Renders phrase sets one after another in a thread; the newest request wins."""

    def __init__(
        self,
        speech: SpeechLayers,
        once: Once,
        on_ready: Callable[[dict[str, float]], None],
        on_better: Callable[[str, float], None] = lambda text, seconds: None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``on_ready`` gets every rendered phrase's length after the first layer's pass
        (empty if none); ``on_better`` each phrase a better layer has stored since, with
        its new length."""
        self.speech = speech
        self.once = once
        self.on_ready = on_ready
        self.on_better = on_better
        self.wanted: PhrasesFor | None = None
        self.change = threading.Condition()
        self.thread: threading.Thread | None = None
        self.stopping = False
        self.idle = threading.Event()  # set when every layer is done with the newest request
        # Kept by the render thread between requests, so a request that wants what the
        # last one settled costs a plan from memory: no render pass, no file read.
        self.clock = clock
        self.known: dict[str, float | None] = {}  # length of the file each phrase plays from
        self.settled: frozenset[str] | None = None  # the phrases of the last finished pass
        self.failed: set[str] = set()  # ... of which these failed in some layer
        self.retry_at, self.retry_delay = 0.0, RETRY_FIRST

    def request(self, phrases: PhrasesFor) -> None:
        """``phrases(length)``: every phrase to render, planned with those lengths, in the
        order to render them (the selected routine's first)."""
        with self.change:
            self.wanted = phrases
            self.idle.clear()
            self.change.notify()
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="render", daemon=True)
                self.thread.start()

    def stop(self) -> None:
        with self.change:
            self.stopping = True
            self.change.notify()

    def _interrupted(self) -> bool:
        """A newer request, or the speaker stopping: a better layer's pass ends early."""
        with self.change:
            return self.wanted is not None or self.stopping

    def _run(self) -> None:
        problem = self.speech.first.engine.problem()
        while True:
            with self.change:
                while self.wanted is None and not self.stopping:
                    self.change.wait()
                if self.stopping or self.wanted is None:
                    return
                wanted, self.wanted = self.wanted, None
            if problem:
                self.once.warn("espeak", f"{problem}; chimes and display only")
                self.on_ready({})
            else:
                self._serve(wanted)
            with self.change:
                if self.wanted is None:
                    self.idle.set()

    def _serve(self, wanted: PhrasesFor) -> None:
        """Render what ``wanted`` needs; nothing at all when it wants what the last pass
        settled and no failed phrase is due to be tried again."""
        phrases = frozenset(wanted(self._planned))
        if phrases == self.settled and not (self.failed and self.clock() >= self.retry_at):
            self.on_ready({t: s for t in phrases if (s := self.known.get(t)) is not None})
            return
        try:
            lengths, failed = self._render(wanted)
        except Exception:  # a full disk, a bad reply: keep the thread for the next reload
            log.exception("rendering speech failed; chimes stand in until it is tried again")
            lengths, failed = {}, set(phrases)
        self.on_ready(lengths)
        for layer in self.speech.better:
            failed |= self._improve(layer, wanted)
        if not self._interrupted():
            self._settle(frozenset(wanted(self._planned)), failed)

    def _settle(self, phrases: frozenset[str], failed: set[str]) -> None:
        """Remember the pass that finished; failures are tried again after a back-off."""
        self.settled, self.failed = phrases, failed
        if failed:
            self.retry_at = self.clock() + self.retry_delay
            self.retry_delay = min(self.retry_delay * 2, RETRY_MOST)
        else:
            self.retry_delay = RETRY_FIRST

    def _length(self, text: str) -> float | None:
        """The length of the file ``text`` plays from, read once and then remembered."""
        if text not in self.known:
            self.known[text] = self.speech.length(text)
        return self.known[text]

    def _planned(self, text: str) -> float:
        seconds = self._length(text)
        return self.speech.first.estimate(text) if seconds is None else seconds

    def _render(self, wanted: PhrasesFor) -> tuple[dict[str, float], set[str]]:
        """The first layer's pass: every wanted phrase's length, and those that failed."""
        cache = self.speech.first
        phrases, report = render_settled(cache, wanted, self.speech.length, known=self.known)
        for text, error in report.failed.items():
            log.warning("could not render %r (%s): a chime will play instead", text, error)
        for text, reasons in report.redone.items():
            log.info("rendered %r again: %s", text, "; ".join(reasons))
        cache.prune(phrases)
        # Every phrase's length, from the file it will play from (a better layer's if it
        # has one), known here so that planning a routine when PLAY is pressed reads no
        # files; the pruned phrases' are forgotten.
        self.known = {text: self._length(text) for text in phrases}
        log.info(
            "speech ready: %d phrases (%d rendered, %d failed)",
            len(phrases),
            len(report.rendered),
            len(report.failed),
        )
        lengths = {text: seconds for text, seconds in self.known.items() if seconds is not None}
        return lengths, set(report.failed)

    def _improve(self, layer: SpeechCache, wanted: PhrasesFor) -> set[str]:
        """Render the phrases with a better engine, handing each on as it is stored; a
        phrase it cannot render keeps its espeak-ng file (said once). Returns the
        phrases to try again later."""
        name = layer.engine.name
        if problem := layer.engine.problem():
            self.once.warn(name, f"{problem}; espeak-ng speaks instead")
            return set()
        started = time.monotonic()

        def stored(done: int, total: int, text: str) -> None:
            seconds = layer.length(text)
            if seconds is not None:
                self.known[text] = seconds  # it plays from this file now
                self.on_better(text, seconds)

        try:
            phrases, report = render_settled(layer, wanted, self._length, stored, self._interrupted)
            if self._interrupted():
                return set()  # the next pass (for the newer request) finishes the job and prunes
            # Planned with the new voice's lengths, a routine may say a new total: the
            # first layer has every phrase too, so any may fall back on it.
            self.speech.first.render(phrases)
        except Exception:  # as for the first layer: tried again after a back-off
            log.exception("rendering with %s failed; espeak-ng speaks instead", name)
            return set(self.known)  # every phrase: none is known to be stored
        self._say_failures(name, report.failed)
        self.speech.prune(phrases)
        log.info(
            "%s voice ready: %d phrases (%d rendered, %d failed) in %.1f s",
            name,
            len(phrases),
            len(report.rendered),
            len(report.failed),
            time.monotonic() - started,
        )
        return set(report.failed)

    def _say_failures(self, name: str, failed: dict[str, str]) -> None:
        """One warning for each way a better engine failed (a broken voice fails every
        phrase alike), once: each of those phrases keeps its espeak-ng file."""
        by_error: dict[str, list[str]] = {}
        for text, error in failed.items():
            by_error.setdefault(error, []).append(text)
        for error, texts in by_error.items():
            some = ", ".join(repr(text) for text in texts[:3]) + (", ..." * (len(texts) > 3))
            message = f"{name} could not render {len(texts)} phrases ({error}): {some}"
            self.once.warn(f"{name}: {error}", f"{message}; espeak-ng speaks them")


def render_settled(
    cache: SpeechCache,
    wanted: PhrasesFor,
    length: Callable[[str], float | None] | None = None,
    progress: Progress | None = None,
    interrupted: Callable[[], bool] = lambda: False,
    known: dict[str, float | None] | None = None,
) -> tuple[list[str], RenderReport]:
    """Render the phrases ``wanted`` with the lengths known so far, then again with the
    real ones until nothing new is wanted: a routine's spoken length includes its
    instructions, so its intro's words can change once they are measured. ``length``
    reads a rendered phrase's length (the cache's own unless given: the layers', which
    plays each phrase from the best voice that has it). ``known``: lengths read before
    (None: not rendered), kept up to date here; with it only the phrases it lacks are
    given to the cache, so the others' files are not opened again."""
    estimate, read = cache.estimate, length or cache.length
    lengths: dict[str, float | None] = {} if known is None else known  # None: not rendered

    def measured(text: str) -> float | None:
        if text not in lengths:
            lengths[text] = read(text)
        return lengths[text]

    def planned(text: str) -> float:
        seconds = measured(text)
        return estimate(text) if seconds is None else seconds

    total = RenderReport()
    for _ in range(ROUNDS):
        phrases = list(dict.fromkeys(wanted(planned)))
        todo = phrases if known is None else [t for t in phrases if measured(t) is None]
        report = cache.render(todo, progress, interrupted)
        total.rendered += report.rendered
        total.failed.update(report.failed)
        total.redone.update(report.redone)
        total.cached += [t for t in report.cached if t not in total.cached]
        for text in [t for t, s in lengths.items() if s is None]:
            del lengths[text]  # rendered since, perhaps: read again
        if not report.rendered or interrupted():
            break
    return phrases, total
