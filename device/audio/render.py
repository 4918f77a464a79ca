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
            lengths: dict[str, float] = {}
            if problem:
                self.once.warn("espeak", f"{problem}; chimes and display only")
            else:
                try:
                    lengths = self._render(wanted)
                except Exception:  # a full disk, a bad reply: keep the thread for the next reload
                    log.exception("rendering speech failed; chimes stand in until the next reload")
            self.on_ready(lengths)
            if not problem:
                for layer in self.speech.better:
                    self._improve(layer, wanted)
            with self.change:
                if self.wanted is None:
                    self.idle.set()

    def _render(self, wanted: PhrasesFor) -> dict[str, float]:
        cache = self.speech.first
        phrases, report = render_settled(cache, wanted, self.speech.length)
        for text, error in report.failed.items():
            log.warning("could not render %r (%s): a chime will play instead", text, error)
        for text, reasons in report.redone.items():
            log.info("rendered %r again: %s", text, "; ".join(reasons))
        cache.prune(phrases)
        # Every phrase's length, from the file it will play from (a better layer's if it
        # has one), read here so that planning a routine when PLAY is pressed reads no files.
        measured = {text: self.speech.length(text) for text in phrases}
        log.info(
            "speech ready: %d phrases (%d rendered, %d failed)",
            len(phrases),
            len(report.rendered),
            len(report.failed),
        )
        return {text: seconds for text, seconds in measured.items() if seconds is not None}

    def _improve(self, layer: SpeechCache, wanted: PhrasesFor) -> None:
        """Render the phrases with a better engine, handing each on as it is stored; a
        phrase it cannot render keeps its espeak-ng file (said once)."""
        name = layer.engine.name
        if problem := layer.engine.problem():
            self.once.warn(name, f"{problem}; espeak-ng speaks instead")
            return
        started = time.monotonic()

        def stored(done: int, total: int, text: str) -> None:
            seconds = layer.length(text)
            if seconds is not None:
                self.on_better(text, seconds)

        try:
            phrases, report = render_settled(
                layer, wanted, self.speech.length, stored, self._interrupted
            )
            if self._interrupted():
                return  # the next pass (for the newer request) finishes the job and prunes
            # Planned with the new voice's lengths, a routine may say a new total: the
            # first layer has every phrase too, so any may fall back on it.
            self.speech.first.render(phrases)
        except Exception:  # as for the first layer: the next reload tries again
            log.exception("rendering with %s failed; espeak-ng speaks instead", name)
            return
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
) -> tuple[list[str], RenderReport]:
    """Render the phrases ``wanted`` with the lengths known so far, then again with the
    real ones until nothing new is wanted: a routine's spoken length includes its
    instructions, so its intro's words can change once they are measured. ``length``
    reads a rendered phrase's length (the cache's own unless given: the layers', which
    plays each phrase from the best voice that has it)."""
    estimate, read = cache.estimate, length or cache.length
    known: dict[str, float | None] = {}  # None: not rendered yet

    def planned(text: str) -> float:
        if text not in known:
            known[text] = read(text)
        measured = known[text]
        return estimate(text) if measured is None else measured

    total = RenderReport()
    for _ in range(ROUNDS):
        phrases = list(dict.fromkeys(wanted(planned)))
        report = cache.render(phrases, progress, interrupted)
        total.rendered += report.rendered
        total.failed.update(report.failed)
        total.redone.update(report.redone)
        total.cached += [t for t in report.cached if t not in total.cached]
        known = {t: s for t, s in known.items() if s is not None}  # rendered: read again
        if not report.rendered or interrupted():
            break
    return phrases, total
