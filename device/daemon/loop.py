"""The one event loop: buttons, control socket, file watcher and signals in; outputs out.

Everything that happens reaches the loop as an event (inbox.py) on one queue.
The loop thread alone touches the controller and the outputs. It blocks on the
queue until the next deadline (a cue, a hold, a redraw, the watchdog) — no
polling. ``run_once(timeout=0)`` steps it exactly once, for tests. The builder
is wiring.py; simulation parts are simulate.py.
"""

from __future__ import annotations

import functools
import logging
import math
import queue
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from device.clock import Clock
from device.core.controller import Controller
from device.core.gestures import Gesture, GestureDecoder
from device.core.outputs import Output, Outputs
from device.core.session import Action, Sound, State
from device.core.timeline import RANK_STEP
from device.core.view import IdleView
from device.daemon import answers
from device.daemon.board import Board
from device.daemon.control import EventLog
from device.daemon.following import Reminder
from device.daemon.inbox import Call, Edge, Event, Motion, Reload, Reloaded, Request, Stop
from device.daemon.library import Library
from device.daemon.notify import Notifier
from device.daemon.refresh import Refresh
from device.daemon.state import Tracker

log = logging.getLogger(__name__)
Timer = tuple[float, Callable[[float], None]]
Wait = Callable[["queue.SimpleQueue[Event]", float | None], Event]  # queue.Empty: nothing came
MAX_WAIT = 3600.0  # seconds; a farther deadline is looked at again then (huge waits overflow)


class Loop:
    """Owns the controller and the outputs; everything else talks to it through ``post``."""

    def __init__(
        self,
        controller: Controller,
        outputs: Sequence[Output],
        clock: Clock,
        *,
        gestures: Mapping[Gesture, str],
        decoder: GestureDecoder | None = None,
        library: Library | None = None,
        events: EventLog | None = None,
        notifier: Notifier | None = None,
        tracker: Tracker | None = None,
        board: Board | None = None,
        pause_after: float = 0.0,
        wait: Wait | None = None,
        reminder: Reminder | None = None,
    ) -> None:
        """``gestures`` maps (button, gesture) to an input; ``pause_after`` seconds without
        motion pause a routine (0: never); ``wait`` stands in for blocking on the queue."""
        self.controller = controller
        self.outputs = Outputs(outputs)
        self.clock = clock
        self.gestures = gestures
        self.decoder = decoder or GestureDecoder()
        self.library = library
        self.events = events or EventLog(None)
        self.notifier = notifier or Notifier({})
        self.tracker = tracker or Tracker(None)
        self.refresh = Refresh(
            controller, self.tracker, self.outputs, self.events, library, self._arm_day_timer
        )
        self.reloader = self.refresh.reloader  # reads the folder; cli/daemon.py threads it
        self.board = board  # the buttons, pedal, PIR and LED; wiring adds it once built
        # What does not work now (role -> why), for `ctl status` and the idle screen's mark
        self.missing: Callable[[], dict[str, str]] = dict
        self.pause_after = pause_after
        self.reminder = reminder or Reminder()  # motion in a window: today's session to do
        self.queue: queue.SimpleQueue[Event] = queue.SimpleQueue()  # put() is signal-safe
        self.wait: Wait = wait or _get
        self.timers: list[Timer] = []
        self.listeners: list[Callable[[Sequence[Action], float], None]] = []
        # Parts that must be alive for the watchdog to be fed (the control server):
        # one that died silently gets the daemon restarted instead of left deaf.
        self.health: list[Callable[[], bool]] = []
        self.alive = True
        self.redraw_at: float | None = None
        self.watchdog_at = clock.now() if self.notifier.watchdog_interval else None
        self.motion_seen: float | None = None  # when the PIR last went quiet
        self.actions: list[Action] = []  # to be performed at the end of this turn
        self._replies: list[tuple[Callable[[dict], None], dict]] = []
        self._day_timer = False
        if self.tracker.place:
            self.after(self.tracker.offer_left(), self._expire_offer)

    # -- the outside world: any thread ----------------------------------------

    def post(self, event: Event) -> None:
        self.queue.put(event)

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
        for event in batch:
            self._guarded(functools.partial(self._handle, event), type(event).__name__, now)
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
            self.tracker.retry_at,
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

    def _guarded(self, handler: Callable[[float], None], what: str, now: float) -> None:
        """Run an event's handler or a timer; one that fails never takes the daemon down."""
        try:
            handler(now)
        except Exception as error:
            log.exception("while handling %s", what)
            self.events.log("error", now, what=what, error=str(error))

    def _update(self, now: float) -> None:
        for gesture in self.decoder.tick(now):
            self.gesture(gesture, now)
        motion_deadline = self._motion_deadline()
        if motion_deadline is not None and now >= motion_deadline:
            self.motion_seen = None
            self.apply_input("pause", now)
        self.actions += self.controller.tick(now)
        self.actions += self.refresh.announcements(now)
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

    def _perform(self, actions: Sequence[Action], now: float) -> None:
        if actions:  # the chime and the words first; the resume record (fsyncs) after
            self.outputs.perform(actions, now)
            self.events.perform(actions, self.clock.now())  # actual: after the outputs acted
            for listener in self.listeners:
                listener(actions, now)
        status = self.tracker.follow(self.controller, actions, now)
        if self.tracker.ended:  # a session ended: the program's day may be done now
            self._perform(self.tracker.closing(self.controller, now), now)
        if status:
            self.notifier.status(status)
            if self.board:
                self.board.show_state(self.tracker.state(self.controller))

    def _show(self, now: float) -> None:
        view = self.controller.view(now)
        reminder = self.reminder.text(self.tracker.program, self.controller.running)
        if isinstance(view, IdleView):
            offer = self.tracker.place.offer if self.tracker.place else reminder
            view = replace(view, offer=offer, missing=tuple(self.missing()))
        self.redraw_at = self.outputs.show(view, now)

    # -- inputs ---------------------------------------------------------------

    def _handle(self, event: Event, now: float) -> None:
        match event:
            case Edge(button, pressed, at):
                if pressed:
                    self.outputs.press_feedback()
                for gesture in self.decoder.edge(button, pressed, at):
                    self.gesture(gesture, now, at)
            case Motion(active, at):
                self.controller.wake(now)
                self.motion_seen = None if active else at
                self.events.log("motion", now, active=active)
                running, wall = self.controller.running, self.tracker.wall()
                if active and self.reminder.seen(self.tracker.program, running, wall):
                    self.actions.append(Sound("chime", RANK_STEP, now))
            case Reload():
                self._replies += self.refresh.reload(now)
            case Reloaded(loaded, ticket):
                self._replies += self.refresh.reloaded(loaded, ticket, now)
            case Request(request, reply):
                self._request(request, reply, now)
            case Call(action):
                action(now)
            case Stop(why):
                log.info("stopping%s", f" ({why})" if why else "")
                self.alive = False
            case _:
                raise TypeError(f"not an event: {event!r}")

    def gesture(self, gesture: Gesture, now: float, at: float | None = None) -> None:
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

    def _motion_deadline(self) -> float | None:
        if not self.pause_after or self.motion_seen is None:
            return None
        session = self.controller.session
        if session is None or session.state is not State.RUNNING:
            return None
        return self.motion_seen + self.pause_after

    # -- the program's day, control requests -------------------------

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
        if self._day_timer or self.tracker.program.enrolment is None:
            return
        self._day_timer = True

        def new_day(now: float) -> None:
            self.tracker.refresh_program(self.controller)
            self.after(self.tracker.until_tomorrow(), new_day)

        self.after(self.tracker.until_tomorrow(), new_day)

    def _request(self, request: dict, reply: Callable[[dict], None], now: float) -> None:
        if request["cmd"] == "reload":  # answered once the folder has been read
            self.events.log("ctl", now, request=request, ok=True)
            self._replies += self.refresh.reload(now, reply)
            return
        answer = answers.answer(self, request, now)
        self.events.log("ctl", now, request=request, ok=answer.get("ok", False))
        self._replies.append((reply, answer))  # answered once its actions were carried out

    def follow_program(self) -> None:
        """The followed program changed (`ctl program-…`): today's line, its day timer,
        and its closing words to render."""
        self.tracker.refresh_program(self.controller)
        self._arm_day_timer()
        self.refresh.prepare()

    def status(self, now: float) -> dict:
        """``ctl status``: the session as the tracker sees it, and what hardware is missing."""
        return self.tracker.status(self.controller, now) | {"missing": self.missing()}


def _get(source: queue.SimpleQueue[Event], timeout: float | None) -> Event:
    """Block until an event arrives or ``timeout`` passes (queue.Empty); never spins."""
    return source.get(timeout=timeout) if timeout != 0 else source.get_nowait()
