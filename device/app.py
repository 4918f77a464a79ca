"""The one event loop: buttons, control socket, file watcher and signals in; outputs out.

Everything that happens reaches the loop as ``(kind, args)`` on one queue. The
loop thread alone touches the controller and the outputs. It blocks on the
queue until the next deadline (a cue, a hold, a redraw, the watchdog) — no
polling. ``run_once(timeout=0)`` steps it exactly once, for tests.
"""

from __future__ import annotations

import importlib
import logging
import queue
import sys
from collections.abc import Callable
from dataclasses import replace

from device.buttons import GestureDecoder
from device.control import EventLog
from device.controller import Controller
from device.exc import UnknownRoutineError
from device.library import Library
from device.notify import Notifier
from device.resume import Tracker
from device.session import Action, Say
from device.terminal import TerminalOutput
from device.timeline import RANK_STEP, error_phrase
from device.view import IdleView

log = logging.getLogger(__name__)
Timer = tuple[float, Callable[[float], None]]
KEY_POLL = 0.05  # seconds; only a simulation with a window reads keys (pygame needs asking)


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
        self.pause_after: float = parts.get("pause_after", 0.0)
        self.queue: queue.SimpleQueue = queue.SimpleQueue()  # put() is safe in signal handlers
        self.wait: Callable[[queue.SimpleQueue, float | None], tuple] = parts.get("wait") or _get
        self.timers: list[Timer] = []
        self.listeners: list[Callable[[list[Action], float], None]] = []
        self.alive = True
        self.redraw_at: float | None = None
        self.watchdog_at = clock.now() if self.notifier.watchdog_interval else None
        self.motion_seen: float | None = None  # when the PIR last went quiet
        self.unsaid: list[str] = []  # "routine X has an error", waiting for an idle moment
        self._actions: list[Action] = []
        self._replies: list[tuple[Callable[[dict], None], dict]] = []

    # -- the outside world: any thread ----------------------------------------

    def post(self, kind: str, *args) -> None:
        self.queue.put((kind, args))

    def after(self, delay: float, action: Callable[[float], None]) -> None:
        """Run ``action(now)`` on the loop thread ``delay`` seconds from now (loop thread)."""
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
            self._guarded(kind, args, now)
        self._update(now)
        return self.alive

    def _wait(self, now: float, timeout: float | None) -> float | None:
        deadline = self.deadline(now)
        wait = None if deadline is None else max(0.0, deadline - now)
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
        return min((c for c in candidates if c is not None), default=None)

    def _fire_timers(self, now: float) -> None:
        due = [timer for timer in self.timers if timer[0] <= now]
        self.timers = [timer for timer in self.timers if timer[0] > now]
        for _, action in sorted(due, key=lambda timer: timer[0]):
            action(now)

    def _guarded(self, kind: str, args: tuple, now: float) -> None:
        try:
            getattr(self, f"_on_{kind}")(now, *args)
        except Exception as error:  # one bad event never takes the daemon down
            log.exception("while handling %s", kind)
            self.events.log("error", now, what=kind, error=str(error))

    def _update(self, now: float) -> None:
        for gesture in self.decoder.tick(now):
            self._gesture(gesture, now)
        if self._motion_deadline() is not None and now >= self._motion_deadline():
            self.motion_seen = None
            self._input("pause", now)
        self._actions += self.controller.tick(now)
        if self.unsaid and not self.controller.running:
            self._actions += [
                Say(error_phrase(self._title(n)), RANK_STEP, now) for n in self.unsaid
            ]
            self.unsaid = []
        actions, self._actions = self._actions, []
        self._perform(actions, now)
        self._show(now)
        replies, self._replies = self._replies, []
        for reply, answer in replies:
            reply(answer)
        if self.watchdog_at is not None and now >= self.watchdog_at:
            self.notifier.watchdog()
            self.watchdog_at = now + (self.notifier.watchdog_interval or 1.0)

    def _title(self, name: str) -> str:
        """A broken routine's title from its last good version (pre-rendered), else its name."""
        routine = self.controller.routines.get(name)
        return routine.title if routine else name.replace("-", " ")

    def _perform(self, actions: list[Action], now: float) -> None:
        status = self.tracker.follow(self.controller, actions, now)
        if actions:
            self._each("perform", actions, now)
            self.events.perform(actions, self.clock.now())  # actual: after the outputs acted
            for listener in self.listeners:
                listener(actions, now)
        if status:
            self.notifier.status(status)
            if self.board:
                self.board.show_state(self.tracker.state(self.controller))

    def _show(self, now: float) -> None:
        view = self.controller.view(now)
        if isinstance(view, IdleView) and self.tracker.place:
            view = replace(view, offer=self.tracker.place.offer)
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

    # -- events ---------------------------------------------------------------

    def _on_edge(self, now: float, button: str, pressed: bool, at: float) -> None:
        if pressed:
            self._each_optional("press_feedback")
        for gesture in self.decoder.edge(button, pressed, at):
            self._gesture(gesture, now, at)

    def _gesture(self, gesture: tuple[str, str], now: float, at: float | None = None) -> None:
        """Map a gesture to an input; ``at`` is when the finger did it (for --events)."""
        at = now if at is None else at
        name = self.gestures.get(gesture)
        fields = {"button": gesture[0], "gesture": gesture[1], "input": name, "at": round(at, 4)}
        self.events.log("button", now, **fields)
        if name is None:
            return
        offer = self.tracker.place if not self.controller.running else None
        if offer and name in ("play", "next", "start", "resume"):
            self._actions += self.tracker.answer_offer(self.controller, name != "next", now)
            return
        self._input(name, now)

    def _input(self, name: str, now: float) -> None:
        self.tracker.before_input(self.controller, name, now)
        self._actions += self.controller.handle(name, now)

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

    def _on_reload(self, now: float) -> dict:
        if self.library is None:
            return {"ok": False, "error": "no routines folder"}
        loaded = self.library.load()
        for problem in loaded.problems:
            log.warning("%s", problem)
        self.controller.update_routines(loaded.routines)
        self.controller.warnings = len(loaded.broken)
        self.tracker.refresh_program(self.controller, loaded.programs)
        self.unsaid += loaded.newly_broken
        self._each("prepare", loaded.routines)
        problems = [str(p) for p in loaded.problems]
        self.events.log("reload", now, routines=sorted(loaded.routines), problems=problems)
        return {"ok": True, "routines": sorted(loaded.routines), "problems": problems}

    def _on_ctl(self, now: float, request: dict, reply: Callable[[dict], None]) -> None:
        try:
            answer = self._control(request, now)
        except UnknownRoutineError as error:
            answer = {"ok": False, "error": str(error)}
        self.events.log("ctl", now, request=request, ok=answer.get("ok", False))
        self._replies.append((reply, answer))  # answered once its actions were carried out

    def _control(self, request: dict, now: float) -> dict:
        command = request["cmd"]
        if command == "status":
            return {"ok": True, "status": self.tracker.status(self.controller, now)}
        if command == "reload":
            return self._on_reload(now)
        if command == "press":
            return self._press(request.get("button", ""), request.get("hold"))
        if command == "start":
            self.tracker.before_input(self.controller, "start", now)
            self._actions += self.controller.start(request.get("name") or "", now)
        elif command == "select":
            self._actions += self.controller.select(request.get("name") or "", now)
        elif command == "resume" and self.tracker.place and not self.controller.running:
            self._actions += self.tracker.answer_offer(self.controller, True, now)
        else:
            self._input(command, now)
        return {"ok": True, "status": self.tracker.status(self.controller, now)}

    def _press(self, button: str, hold: float | None) -> dict:
        """Simulation only: drive the button's mock pin low, and high again later."""
        pins = self.board.pins if self.board else {}
        name = str(button).lower()
        if self.factory is None:
            return {"ok": False, "error": "press works only with `run --simulate`"}
        if name not in pins or name == "motion":
            return {"ok": False, "error": f"no button '{button}'; known: {', '.join(pins)}"}
        length = float(hold) if hold is not None else max(0.1, 2 * self.decoder.bounce)
        self.factory.pin(pins[name]).drive_low()
        self.after(length, lambda now: self.factory.pin(pins[name]).drive_high())
        return {"ok": True, "button": name, "seconds": length}

    def poll_keys(self, now: float) -> None:
        """Simulation with a window: keys act as the buttons ("play", "next:hold", "quit")."""
        for output in self.outputs:
            for key in getattr(output, "poll_keys", lambda now: [])(now):
                if key == "quit":
                    self.post("stop", "window closed")
                    continue
                button, _, hold = key.partition(":")
                self._gesture((button, hold or "press"), now)
        self.after(KEY_POLL, self.poll_keys)

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


def build_outputs(config, args, clock) -> list:
    """Speaker, screen, and the terminal when no screen shows; each optional, none fatal."""
    outputs = []
    if config["audio"]["enabled"]:
        outputs += _optional("device.audio", "Speaker", config, clock)
    screen = []
    if config["display"]["enabled"] and not getattr(args, "no_window", False):
        screen = _optional("device.screen", "Screen", config, headless=bool(args.headless))
    outputs += screen
    if getattr(args, "terminal", False) or (not screen and sys.stdout.isatty()):
        outputs.append(TerminalOutput(sys.stdout))
    return outputs


def start_outputs(outputs: list) -> list:
    """Start each output in order; one that cannot start is left out (said once)."""
    started = []
    for output in outputs:
        try:
            output.start()
            started.append(output)
        except Exception as error:  # missing hardware degrades, it does not crash
            log.warning("%s unavailable: %s", type(output).__name__, error)
    return started


def _optional(module: str, name: str, *args, **kwargs) -> list:
    try:
        return [getattr(importlib.import_module(module), name)(*args, **kwargs)]
    except Exception as error:  # not written yet, no pygame, no sound card...
        log.warning("%s unavailable: %s", name.lower(), error)
        return []


def _get(source: queue.SimpleQueue, timeout: float | None) -> tuple:
    """Block until an event arrives or ``timeout`` passes (queue.Empty); never spins."""
    return source.get(timeout=timeout) if timeout != 0 else source.get_nowait()


def virtual_wait(clock) -> Callable[[queue.SimpleQueue, float | None], tuple]:
    """For tests and simulations in virtual time: instead of waiting, jump a FakeClock."""

    def wait(source: queue.SimpleQueue, timeout: float | None) -> tuple:
        try:
            return source.get_nowait()
        except queue.Empty:
            if timeout is None:
                raise RuntimeError("the loop would wait forever") from None
            clock.advance(timeout)
            raise

    return wait
