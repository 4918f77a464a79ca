"""The speaker's render worker: speech for a set of phrases, rendered in a thread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from device.audio.speech import SpeechCache, espeak_problem
from device.once import Once

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
        self.wanted: set[str] | None = None
        self.change = threading.Condition()
        self.thread: threading.Thread | None = None
        self.stopping = False

    def request(self, phrases: set[str]) -> None:
        with self.change:
            self.wanted = set(phrases)
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

    def _render(self, phrases: set[str]) -> dict[str, float]:
        report = self.cache.render(sorted(phrases))
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
