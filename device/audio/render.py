"""The speaker's render worker: speech for a set of phrases, rendered in a thread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from device.audio.speech import Progress, RenderReport, SpeechCache, espeak_problem
from device.core.timeline import estimated_length
from device.once import Once

ROUNDS = 4  # a plan said with real lengths may say a new total: render that too

PhrasesFor = Callable[[Callable[[str], float]], set[str]]

log = logging.getLogger(__name__)


class RenderWorker:
    """Renders phrase sets one after another in a thread; the newest request wins."""

    def __init__(
        self,
        cache: SpeechCache,
        once: Once,
        on_ready: Callable[[dict[str, float]], None],
    ) -> None:
        """``on_ready`` gets every rendered phrase's length after each pass (empty if none)."""
        self.cache = cache
        self.once = once
        self.on_ready = on_ready
        self.wanted: PhrasesFor | None = None
        self.change = threading.Condition()
        self.thread: threading.Thread | None = None
        self.stopping = False

    def request(self, phrases: PhrasesFor) -> None:
        """``phrases(length)``: every phrase to render, planned with those lengths."""
        with self.change:
            self.wanted = phrases
            self.change.notify()
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="render", daemon=True)
                self.thread.start()

    def stop(self) -> None:
        with self.change:
            self.stopping = True
            self.change.notify()

    def _run(self) -> None:
        problem = espeak_problem()
        while True:
            with self.change:
                while self.wanted is None and not self.stopping:
                    self.change.wait()
                if self.stopping:
                    return
                phrases, self.wanted = self.wanted, None
            lengths: dict[str, float] = {}
            if problem:
                self.once.warn("espeak", f"{problem}; chimes and display only")
            else:
                try:
                    lengths = self._render(phrases)
                except Exception:  # a full disk, a bad reply: keep the thread for the next reload
                    log.exception("rendering speech failed; chimes stand in until the next reload")
            self.on_ready(lengths)

    def _render(self, wanted: PhrasesFor) -> dict[str, float]:
        phrases, report = render_settled(self.cache, wanted)
        for text, error in report.failed.items():
            log.warning("could not render %r (%s): a chime will play instead", text, error)
        for text, reasons in report.redone.items():
            log.info("rendered %r again: %s", text, "; ".join(reasons))
        self.cache.prune(phrases)
        # Every phrase's length, read here so that planning a routine when PLAY is pressed
        # reads no files.
        measured = {text: self.cache.length(text) for text in phrases}
        log.info(
            "speech ready: %d phrases (%d rendered, %d failed)",
            len(phrases),
            len(report.rendered),
            len(report.failed),
        )
        return {text: seconds for text, seconds in measured.items() if seconds is not None}


def render_settled(
    cache: SpeechCache, wanted: PhrasesFor, progress: Progress | None = None
) -> tuple[set[str], RenderReport]:
    """Render the phrases ``wanted`` with the lengths known so far, then again with the
    real ones until nothing new is wanted: a routine's spoken length includes its
    instructions, so its intro's words can change once they are measured."""
    estimate, known = estimated_length(cache.rate), {}

    def length(text: str) -> float:
        if text not in known:
            known[text] = cache.length(text)
        return estimate(text) if known[text] is None else known[text]

    total = RenderReport()
    for _ in range(ROUNDS):
        phrases = wanted(length)
        report = cache.render(sorted(phrases), progress)
        total.rendered += report.rendered
        total.failed.update(report.failed)
        total.cached += [t for t in report.cached if t not in total.cached]
        known = {t: s for t, s in known.items() if s is not None}  # rendered: read again
        if not report.rendered:
            break
    return phrases, total
