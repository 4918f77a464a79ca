"""The routines folder read again and put to use, on the loop thread.

A read (``Reloader``, here or in its own thread) gives a ``Loaded``; ``Refresh.swap_in``
hands its routines to the controller, its programs to the tracker, its phrases to the
outputs to render, and keeps what to announce of broken files for an idle moment.
"""

from __future__ import annotations

from collections.abc import Callable

from device.core.controller import Controller
from device.core.outputs import Outputs
from device.core.session import Say
from device.core.timeline import BROKEN_NEW_FILE, RANK_STEP, error_phrase
from device.daemon.control import EventLog
from device.daemon.library import Library, Loaded
from device.daemon.reloader import Reloader
from device.daemon.state import Tracker

Reply = Callable[[dict], None]
Answered = list[tuple[Reply, dict]]  # replies to send once the turn's actions are done
# prepare()'s key for the running session's routine: never a routine name (those are
# lowercase, digits and dashes), so an edited routine's old phrases stay until it ends.
RUNNING = "(running)"


class Refresh:
    """Reads of the routines folder and what they change; the loop's, on its thread."""

    def __init__(
        self,
        controller: Controller,
        tracker: Tracker,
        outputs: Outputs,
        events: EventLog,
        library: Library | None,
        programs_read: Callable[[], None],
    ) -> None:
        """``programs_read`` is called after each swap (the program's day timer)."""
        self.controller, self.tracker, self.outputs = controller, tracker, outputs
        self.events = events
        self.programs_read = programs_read
        # Reads the folder: here, or in a thread of its own once the daemon starts it
        self.reloader = Reloader(library) if library else None
        self._waiting: list[tuple[int, Reply]] = []  # (ticket, reply) of `ctl reload`
        self.unsaid: list[str] = []  # "routine X has an error", waiting for an idle moment

    def reload(self, now: float, reply: Reply | None = None) -> Answered:
        """Read the routines folder again; ``reply`` gets what `ctl reload` answers. With the
        reloader's thread started, that happens there and the result comes back later."""
        if self.reloader is None:
            return [(reply, {"ok": False, "error": "no routines folder"})] if reply else []
        if self.reloader.threaded:
            ticket = self.reloader.request()
            if reply:
                self._waiting.append((ticket, reply))
            return []
        answer = self.swap_in(self.reloader.load(), now)
        return [(reply, answer)] if reply else []

    def reloaded(self, loaded: Loaded, ticket: int, now: float) -> Answered:
        """A load from the reloader's thread: swap it in, answer who asked for it."""
        answer = self.swap_in(loaded, now)
        waiting = self._waiting
        self._waiting = [(asked, reply) for asked, reply in waiting if asked > ticket]
        return [(reply, answer) for asked, reply in waiting if asked <= ticket]

    def swap_in(self, loaded: Loaded, now: float) -> dict:
        """Use a freshly read folder; the reply for `ctl reload`."""
        self.controller.update_routines(loaded.routines)
        self.tracker.offer(self.controller)  # drops an offer whose routine is gone
        self.controller.warnings = len(loaded.broken)
        self.tracker.refresh_program(self.controller, loaded.programs)
        self.programs_read()
        # once per broken state: a file fixed since is not worth saying, one broken anew
        # replaces its waiting announcement rather than adding another
        self.unsaid = [name for name in self.unsaid if name in loaded.broken]
        self.unsaid += [name for name in loaded.newly_broken if name not in self.unsaid]
        self.prepare()
        problems = [str(p) for p in loaded.problems]
        self.events.log("reload", now, routines=sorted(loaded.routines), problems=problems)
        return {"ok": True, "routines": sorted(loaded.routines), "problems": problems}

    def announcements(self, now: float) -> list[Say]:
        """What to say of files broken since, once no routine runs (then never again)."""
        if not self.unsaid or self.controller.running:
            return []
        said, self.unsaid = self.unsaid, []
        return [Say(self._broken_phrase(name), RANK_STEP, now) for name in said]

    def _broken_phrase(self, name: str) -> str:
        """What to say of a broken routine, true and pre-rendered: its last good version's
        title stays in use, or (it never loaded) that a new file is not in use."""
        routine = self.controller.routines.get(name)
        return error_phrase(routine.title) if routine else BROKEN_NEW_FILE

    def prepare(self) -> None:
        """Render what may be said: the routines (the running one's version too) and the
        followed program's closing words; the one most likely heard next first: the
        running one (as it runs, even if its file has changed), else the selected one."""
        routines = self.controller.routines
        first = {}
        if self.controller.session and self.controller.running:
            first[RUNNING] = self.controller.session.timeline.routine
        elif self.controller.selected in routines:
            first[self.controller.selected] = routines[self.controller.selected]
        self.outputs.prepare({**first, **routines}, self.tracker.program.phrases())
