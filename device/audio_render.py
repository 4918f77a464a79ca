"""The speaker's render worker: speech for a set of phrases, rendered in a thread."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from device.speech import espeak_problem

if TYPE_CHECKING:
    from device.audio import Speaker

log = logging.getLogger(__name__)


class RenderWorker:
    """Renders phrase sets one after another in a thread; the newest request wins."""

    def __init__(self, speaker: Speaker) -> None:
        self.speaker = speaker
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
            if problem:
                self.speaker.once.warn("espeak", f"{problem}; chimes and display only")
            else:
                try:
                    self._render(phrases)
                except Exception:  # a full disk, a bad reply: keep the thread for the next reload
                    log.exception("rendering speech failed; chimes stand in until the next reload")
            self.speaker.ready.set()

    def _render(self, phrases: set[str]) -> None:
        report = self.speaker.cache.render(sorted(phrases))
        for text, error in report.failed.items():
            log.warning("could not render %r (%s): a chime will play instead", text, error)
        self.speaker.cache.prune(phrases)
        # Every phrase's length, read here so that planning a routine when PLAY is pressed
        # reads no files. Swapped in whole, never cleared: the loop thread may be reading it.
        cache = self.speaker.cache
        lengths = {text: cache.length(text) for text in phrases}
        self.speaker._lengths = {text: s for text, s in lengths.items() if s is not None}
        log.info(
            "speech ready: %d phrases (%d rendered, %d failed)",
            len(phrases),
            len(report.rendered),
            len(report.failed),
        )
