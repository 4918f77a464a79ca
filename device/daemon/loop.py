"""The one event loop: buttons, control socket, file watcher and signals in; outputs out.

Everything that happens reaches the loop as ``(kind, args)`` on one queue. The
loop thread alone touches the controller and the outputs. It blocks on the
queue until the next deadline (a cue, a hold, a redraw, the watchdog) — no
polling. ``run_once(timeout=0)`` steps it exactly once, for tests. The builder
is wiring.py; control requests are loop_control.py; simulation parts simulate.py.
"""

from __future__ import annotations

import logging
import math
import queue
from collections.abc import Callable
from dataclasses import replace

from device.core.controller import Controller
from device.core.gestures import GestureDecoder
from device.core.session import Action, Say
from device.core.timeline import BROKEN_NEW_FILE, RANK_STEP, error_phrase
from device.core.view import IdleView
from device.daemon import loop_control
from device.daemon.control import EventLog
from device.daemon.library import Library
from device.daemon.notify import Notifier
from device.daemon.state import Tracker
from device.exc import UnknownRoutineError

log = logging.getLogger(__name__)
Timer = tuple[float, Callable[[float], None]]
MAX_WAIT = 3600.0  # seconds; a farther deadline is looked at again then (huge waits overflow)
# prepare()'s key for the running session's routine: never a routine name (those are
# lowercase, digits and dashes), so an edited routine's old phrases stay until it ends.
RUNNING = "(running)"


class Loop:
    """Owns the controller and the outputs; everything else talks to it through ``post``."""

    def __init__(self, controller: Controller, outputs: list, clock, **parts) -> None:
        self.controller = controller
        self.outputs = list(outputs)
        self.clock = clock
        self.decoder: GestureDecoder = parts.get("decoder") or GestureDecoder()
        self.gestures: dict = parts["gestures"]
        self.library: Library | None = parts.get("library")
        self.events: EventLog = parts.get("events") or EventLog(None)
        self.notifier: Notifier = parts.get("notifier") or Notifier({})
        self.tracker: Tracker = parts.get("tracker") or Tracker(None)
        self.board = parts.get("board")
        self.factory = parts.get("factory")  # MockFactory in simulation, for `ctl press`
        # What does not work now (name -> why), for `ctl status` and the idle screen's mark
        self.missing: Callable[[], dict[str, str]] = parts.get("missing") or dict
        self.pause_after: float = parts.get("pause_after", 0.0)
        self.queue: queue.SimpleQueue = queue.SimpleQueue()  # put() is safe in signal handlers
        self.wait: Callable[[queue.SimpleQueue, float | None], tuple] = parts.get("wait") or _get
        self.timers: list[Timer] = []
        self.listeners: list[Callable[[list[Action], float], None]] = []
        # Parts that must be alive for the watchdog to be fed (the control server):
        # one that died silently gets the daemon restarted instead of left deaf.
        self.health: list[Callable[[], bool]] = []
        self.alive = True
        self.redraw_at: float | None = None
        self.watchdog_at = clock.now() if self.notifier.watchdog_interval else None
        self.motion_seen: float | None = None  # when the PIR last went quiet
        self.unsaid: list[str] = []  # "routine X has an error", waiting for an idle moment
        self.actions: list[Action] = []  # to be performed at the end of this turn
        self._replies: list[tuple[Callable[[dict], None], dict]] = []
        self._day_timer = False
        if self.tracker.place:
            self.after(self.tracker.offer_left(), self._expire_offer)

    # -- the outside world: any thread ----------------------------------------

    def post(self, kind: str, *args) -> None:
        self.queue.put((kind, args))

    def after(self, delay: float, action: Callable[[float], None]) -> None:
        """Run ``action(now)`` on the loop thread ``delay`` seconds from now (loop thread)."""
        if not math.isfinite(delay):
            raise ValueError(f"a timer needs a finite delay, not {delay}")
        self.timers.append((self.clock.now() + delay, action))

    # -- the loop -------------------------------------------------------------

    def run(self) -> None:
        while self.run_once():
            pass

    def run_once(self, timeout: float | None = None) -> bool:
        """Wait for an event or the next deadline (at most ``timeout``), handle it; False: stop."""
        wait = self._wait(self.clock.now(), timeout)
        try:
            batch = [self.wait(self.queue, wait)]
        except queue.Empty:
            batch = []
        now = self.clock.now()
        self._fire_timers(now)
        while True:
            try:
                batch.append(self.queue.get_nowait())
            except queue.Empty:
                break
        for kind, args in batch:
            self._guarded(f"_on_{kind}", kind, now, *args)
        self._update(now)
        return self.alive

    def _wait(self, now: float, timeout: float | None) -> float | None:
        deadline = self.deadline(now)
        wait = None if deadline is None else min(max(0.0, deadline - now), MAX_WAIT)
        if timeout is not None:
            wait = timeout if wait is None else min(wait, timeout)
        return wait

    def deadline(self, now: float) -> float | None:
        """The earliest moment the loop has something to do without being told."""
        candidates = [
            self.controller.next_deadline(now),
            self.decoder.next_deadline(),
            self.redraw_at,
            self.watchdog_at,
            self._motion_deadline(),
            *(t for t, _ in self.timers),
        ]
        # a NaN would read as "now" forever (a busy loop) and an infinity as "never"
        return min((c for c in candidates if c is not None and math.isfinite(c)), default=None)

    def _fire_timers(self, now: float) -> None:
        due = [timer for timer in self.timers if timer[0] <= now]
        self.timers = [timer for timer in self.timers if timer[0] > now]
        for _, action in sorted(due, key=lambda timer: timer[0]):
            self._guarded(action, "timer", now)

    def _guarded(self, handler: str | Callable, what: str, now: float, *args) -> None:
        """Run an event handler or a timer; one that fails never takes the daemon down."""
        try:
            (getattr(self, handler) if isinstance(handler, str) else handler)(now, *args)
        except Exception as error:
            log.exception("while handling %s", what)
            self.events.log("error", now, what=what, error=str(error))

    def _update(self, now: float) -> None:
        for gesture in self.decoder.tick(now):
            self.gesture(gesture, now)
        if self._motion_deadline() is not None and now >= self._motion_deadline():
            self.motion_seen = None
            self.apply_input("pause", now)
        self.actions += self.controller.tick(now)
        if self.unsaid and not self.controller.running:
            self.actions += [Say(self._broken_phrase(n), RANK_STEP, now) for n in self.unsaid]
            self.unsaid = []
        actions, self.actions = self.actions, []
        self._perform(actions, now)
        self._show(now)
        replies, self._replies = self._replies, []
        for reply, answer in replies:
            reply(answer)
        if self.watchdog_at is not None and now >= self.watchdog_at:
            if all(alive() for alive in self.health):
                self.notifier.watchdog()
            self.watchdog_at = now + (self.notifier.watchdog_interval or 1.0)

    def _broken_phrase(self, name: str) -> str:
        """What to say of a broken routine, true and pre-rendered: its last good version's
        title stays in use, or (it never loaded) that a new file is not in use."""
        routine = self.controller.routines.get(name)
        return error_phrase(routine.title) if routine else BROKEN_NEW_FILE

    def _perform(self, actions: list[Action], now: float) -> None:
        if actions:  # the chime and the words first; the resume record (fsyncs) after
            self._each("perform", actions, now)
            self.events.perform(actions, self.clock.now())  # actual: after the outputs acted
            for listener in self.listeners:
                listener(actions, now)
        status = self.tracker.follow(self.controller, actions, now)
        if status:
            self.notifier.status(status)
            if self.board:
                self.board.show_state(self.tracker.state(self.controller))

    def _show(self, now: float) -> None:
        view = self.controller.view(now)
        if isinstance(view, IdleView):
            offer = self.tracker.place.offer if self.tracker.place else ""
            view = replace(view, offer=offer, missing=tuple(self.missing()))
        times = [t for t in self._each("show", view, now) if t is not None]
        self.redraw_at = min(times, default=None)

    def _each(self, method: str, *args) -> list:
        """Call ``method`` on every output; one that raises is logged and dropped."""
        results = []
        for output in list(self.outputs):
            try:
                results.append(getattr(output, method)(*args))
            except Exception:
                log.exception("%s.%s failed; carrying on without it", type(output).__name__, method)
                self.outputs.remove(output)
        return results

    # -- inputs ---------------------------------------------------------------

    def _on_edge(self, now: float, button: str, pressed: bool, at: float) -> None:
        if pressed:
            self._each_optional("press_feedback")
        for gesture in self.decoder.edge(button, pressed, at):
            self.gesture(gesture, now, at)

    def gesture(self, gesture: tuple[str, str], now: float, at: float | None = None) -> None:
        """Map a gesture to an input; ``at`` is when the finger did it (for --events)."""
        at = now if at is None else at
        name = self.gestures.get(gesture)
        fields = {"button": gesture[0], "gesture": gesture[1], "input": name, "at": round(at, 4)}
        self.events.log("button", now, **fields)
        if name is None:
            return
        offer = self.tracker.offer(self.controller) if not self.controller.running else None
        if offer and name in ("play", "next", "start", "resume"):
            self.actions += self.tracker.answer_offer(self.controller, name != "next", now)
            return
        self.apply_input(name, now)

    def apply_input(self, name: str, now: float) -> None:
        self.tracker.before_input(self.controller, name, now)
        self.actions += self.controller.handle(name, now)

    def _on_motion(self, now: float, active: bool, at: float) -> None:
        self.controller.wake(now)
        self.motion_seen = None if active else at
        self.events.log("motion", now, active=active)

    def _motion_deadline(self) -> float | None:
        if not self.pause_after or self.motion_seen is None:
            return None
        session = self.controller.session
        if session is None or session.state.value != "running":
            return None
        return self.motion_seen + self.pause_after

    # -- reloads, the program's day, control requests -------------------------

    def _on_reload(self, now: float) -> None:
        self.reload(now)

    def reload(self, now: float) -> dict:
        """Re-read the routines folder; the reply for `ctl reload`."""
        if self.library is None:
            return {"ok": False, "error": "no routines folder"}
        loaded = self.library.load()
        for problem in loaded.problems:
            log.warning("%s", problem)
        self.controller.update_routines(loaded.routines)
        self.tracker.offer(self.controller)  # drops an offer whose routine is gone
        self.controller.warnings = len(loaded.broken)
        self.tracker.refresh_program(self.controller, loaded.programs)
        self._arm_day_timer()
        # once per broken state: a file fixed since is not worth saying, one broken anew
        # replaces its waiting announcement rather than adding another
        self.unsaid = [name for name in self.unsaid if name in loaded.broken]
        self.unsaid += [name for name in loaded.newly_broken if name not in self.unsaid]
        wanted = dict(loaded.routines)
        if self.controller.running:
            wanted[RUNNING] = self.controller.session.timeline.routine
        self._each("prepare", wanted)
        problems = [str(p) for p in loaded.problems]
        self.events.log("reload", now, routines=sorted(loaded.routines), problems=problems)
        return {"ok": True, "routines": sorted(loaded.routines), "problems": problems}

    def _expire_offer(self, now: float) -> None:
        """The resume window has passed: the offer goes (later if the wall clock moved)."""
        if self.tracker.place is None:
            return
        if self.tracker.offer_left() > 0:
            self.after(self.tracker.offer_left(), self._expire_offer)
            return
        log.info("the offer to resume %s expired", self.tracker.place.routine)
        self.tracker.drop_offer()

    def _arm_day_timer(self) -> None:
        """With a program, the idle line follows the calendar: look again after midnight."""
        if self._day_timer or not self.tracker.program[0]:
            return
        self._day_timer = True

        def new_day(now: float) -> None:
            self.tracker.refresh_program(self.controller)
            self.after(self.tracker.until_tomorrow(), new_day)

        self.after(self.tracker.until_tomorrow(), new_day)

    def _on_ctl(self, now: float, request: dict, reply: Callable[[dict], None]) -> None:
        try:
            answer = loop_control.answer(self, request, now)
        except UnknownRoutineError as error:
            answer = {"ok": False, "error": str(error)}
        except Exception as error:  # every request gets an answer, even one we failed on
            log.exception("control request %s failed", request)
            answer = {"ok": False, "error": f"cannot do that: {error}"}
        self.events.log("ctl", now, request=request, ok=answer.get("ok", False))
        self._replies.append((reply, answer))  # answered once its actions were carried out

    def _on_call(self, now: float, action: Callable[[float], None]) -> None:
        action(now)

    def _on_stop(self, now: float, why: str = "") -> None:
        log.info("stopping%s", f" ({why})" if why else "")
        self.alive = False

    def _each_optional(self, method: str) -> None:
        for output in self.outputs:
            feedback = getattr(output, method, None)
            if callable(feedback):
                try:
                    feedback()
                except Exception:  # feedback is a nicety; never let it break a press
                    log.debug("%s.%s failed", type(output).__name__, method, exc_info=True)


def _get(source: queue.SimpleQueue, timeout: float | None) -> tuple:
    """Block until an event arrives or ``timeout`` passes (queue.Empty); never spins."""
    return source.get(timeout=timeout) if timeout != 0 else source.get_nowait()
