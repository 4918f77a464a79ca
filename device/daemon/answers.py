"""What the loop does for a control request, and the reply (`massage-timer ctl …`).

Runs on the loop thread only (``Loop._request`` calls ``answer``), through the narrow
``Steerable`` interface: the controller, the tracker, the board for `ctl press`, and
the few loop methods a request may use. `ctl reload` is the loop's own: its answer
waits for the folder to be read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from device.core.controller import Controller
from device.core.gestures import GestureDecoder
from device.core.session import Action
from device.daemon.board import Board
from device.daemon.following import Change
from device.daemon.simulate import press
from device.daemon.state import Tracker
from device.exc import UnknownRoutineError

log = logging.getLogger(__name__)


class Steerable(Protocol):
    """The part of the loop a control request reaches."""

    controller: Controller
    tracker: Tracker
    board: Board | None
    decoder: GestureDecoder
    actions: list[Action]  # performed at the end of this turn, before the reply goes

    def after(self, delay: float, action: Callable[[float], None]) -> None: ...

    def apply_input(self, name: str, now: float) -> None: ...

    def follow_program(self) -> None: ...

    def status(self, now: float) -> dict: ...


def answer(loop: Steerable, request: dict, now: float) -> dict:
    """The reply to a (checked) request; every request gets one, even one we failed on."""
    try:
        return _answer(loop, request, now)
    except UnknownRoutineError as error:
        return {"ok": False, "error": str(error)}
    except Exception as error:
        log.exception("control request %s failed", request)
        return {"ok": False, "error": f"cannot do that: {error}"}


def _answer(loop: Steerable, request: dict, now: float) -> dict:
    """Do what the request asks; the reply. Raises for a bad one."""
    controller, tracker = loop.controller, loop.tracker
    match request["cmd"]:
        case "status":
            return {"ok": True, "status": loop.status(now)}
        case "press":
            hold = request.get("hold")
            return press(loop.board, request.get("button", ""), hold, loop.decoder, loop.after)
        case "start":
            return _start(loop, request.get("name") or "", now)
        case "select":
            loop.actions += controller.select(request.get("name") or "", now)
        case "resume" if tracker.place and not controller.running:
            loop.actions += tracker.answer_offer(controller, True, now)
        case "program-start" | "program-pause" | "program-resume" | "program-leave":
            return _change_program(loop, request, now)
        case command:
            loop.apply_input(command, now)
    return {"ok": True, "status": loop.status(now)}


def _start(loop: Steerable, name: str, now: float) -> dict:
    """`ctl start [NAME]`. While a routine runs, start changes nothing (the controller's
    rule; a paused one resumes) and another NAME is refused: `ctl stop` first."""
    controller = loop.controller
    if name and name not in controller.routines:
        raise UnknownRoutineError(name, controller.routines)
    if controller.session and controller.running:
        running = controller.session.timeline.routine.name
        if name and name != running:
            return {"ok": False, "error": f"{running} is running; `ctl stop` it to start {name}"}
        loop.actions += controller.handle("start", now)  # not an early end: nothing ends
        return {"ok": True, "note": f"{running} is already running", "status": loop.status(now)}
    if name:
        loop.tracker.before_input(controller, "start", now)
        loop.actions += controller.start(name, now)
    else:
        loop.apply_input("start", now)  # like PLAY: today's program session first
    return {"ok": True, "status": loop.status(now)}


def _change_program(loop: Steerable, request: dict, now: float) -> dict:
    """``ctl program-start NAME [--from DATE]``, ``program-pause|resume|leave``."""
    action = Change(request["cmd"].removeprefix("program-"))
    try:
        loop.tracker.program.change(action, request.get("name", ""), request.get("from", ""))
    except (ValueError, OSError) as error:
        return {"ok": False, "error": str(error)}
    loop.follow_program()
    return {"ok": True, "status": loop.status(now)}
