"""Control-socket requests, carried out on the loop thread (the socket side is control.py)."""

from __future__ import annotations

from device.daemon.simulate import press


def answer(loop, request: dict, now: float) -> dict:
    """Do what ``request`` asks; the reply for the client. Raises for a bad request."""
    command = request["cmd"]
    if command == "status":
        return {"ok": True, "status": status(loop, now)}
    if command == "reload":
        return loop.reload(now)
    if command == "press":
        return press(loop, request.get("button", ""), request.get("hold"))
    if command == "start":
        loop.tracker.before_input(loop.controller, "start", now)
        loop.actions += loop.controller.start(request.get("name") or "", now)
    elif command == "select":
        loop.actions += loop.controller.select(request.get("name") or "", now)
    elif command == "resume" and loop.tracker.place and not loop.controller.running:
        loop.actions += loop.tracker.answer_offer(loop.controller, True, now)
    else:
        loop.apply_input(command, now)
    return {"ok": True, "status": status(loop, now)}


def status(loop, now: float) -> dict:
    """``ctl status``: the tracker's view of the session, and the hardware that does not work."""
    return loop.tracker.status(loop.controller, now) | {"missing": loop.missing()}
