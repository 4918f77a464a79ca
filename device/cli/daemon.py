"""Sub-commands for the daemon: run, ctl, demo."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
from collections.abc import Callable, Sequence

from device.cli.routines import configured
from device.clock import Clock, MonotonicClock
from device.config.paths import BUNDLED_ROUTINES, routines_folder, state_folder
from device.config.schema import Config
from device.core.outputs import Output
from device.core.session import Action, State, StateChanged, StepStarted
from device.daemon.board import MockPins
from device.daemon.control import COMMANDS, EventLog, request, socket_path, submitter
from device.daemon.control_server import ControlServer
from device.daemon.inbox import Reload, Request, Stop
from device.daemon.library import FolderWatcher
from device.daemon.loop import Loop, Wait
from device.daemon.notify import Notifier
from device.daemon.simulate import poll_keys, press
from device.daemon.state import StateStore
from device.daemon.wiring import build_loop, build_outputs, start_outputs
from device.exc import MassageTimerError

log = logging.getLogger(__name__)
DEMO_PRESS_AFTER = 2.0  # seconds on the "apply oil" step before the simulated PLAY
DEMO_LINGER = 5.0  # seconds after the end, so the closing words are heard
DEMO_READY_WAIT = 60.0  # seconds to wait for the speech cache on a first run


def register(commands: argparse._SubParsersAction) -> None:
    run = commands.add_parser("run", help="run the daemon in the foreground (systemd runs this)")
    run.add_argument("--simulate", action="store_true", help="mock GPIO pins (any laptop)")
    run.add_argument("--headless", action="store_true", help="no display")
    run.add_argument("--events", metavar="PATH|-", help="write one JSON line per event")
    run.set_defaults(run=run_run, demo=False, no_window=False, terminal=False)  # demo sets them
    ctl = commands.add_parser("ctl", help="control the running daemon over its socket")
    ctl.add_argument("cmd", choices=list(COMMANDS), metavar="CMD", help=", ".join(COMMANDS))
    ctl.add_argument("arg", nargs="?", metavar="NAME|BUTTON", help="routine or button name")
    ctl.add_argument("--hold", type=float, metavar="SECONDS", help="press: hold this long")
    ctl.add_argument("--from", dest="start", metavar="DATE", help="program-start: day 1")
    ctl.add_argument("--socket", metavar="PATH", help="control socket (default: see README)")
    ctl.set_defaults(run=run_ctl)
    demo = commands.add_parser("demo", help="a one-minute first run in simulation; ends by itself")
    demo.set_defaults(run=run_demo)


def run_run(args: argparse.Namespace) -> int:
    return run_daemon(configured(args), args)


def run_daemon(
    config: Config,
    args: argparse.Namespace,
    clock: Clock | None = None,
    setup: Callable[[Loop], None] | None = None,
    wait: Wait | None = None,
) -> int:
    """Start every part in order, run the loop, stop them in reverse order; exit status 0.

    ``clock`` and ``wait`` default to real time; a test passes a FakeClock and
    ``virtual_wait`` to run a whole routine in virtual time."""
    clock = clock or MonotonicClock()
    demo = args.demo
    notifier = Notifier()
    with contextlib.ExitStack() as stack:
        factory = _simulated_pins(stack) if args.simulate else None
        failed: dict[str, str] = {}
        wanted = build_outputs(
            config,
            clock,
            headless=args.headless,
            window=not args.no_window,
            terminal=args.terminal,
            failed=failed,
        )
        outputs = start_outputs(wanted, failed)
        stack.callback(_stop_outputs, outputs)
        events = EventLog.open(args.events)
        stack.callback(events.close)
        loop = _build(config, args, clock, outputs, events, notifier, factory, failed)
        if loop.board:
            stack.callback(loop.board.close)
        if loop.tracker.store:  # history a full disk held back: one last try on the way out
            stack.callback(loop.tracker.store.log.flush)
        loop.wait = wait or loop.wait
        if not demo:
            server = ControlServer(socket_path(config.daemon.socket), submitter(loop.post))
            server.start()
            stack.callback(server.stop)
            loop.health.append(server.healthy)
            log.info("control socket %s", server.path)
        assert loop.library is not None and loop.reloader is not None
        loop.reloader.start(loop.post)  # from now on the folder is read off the loop thread
        stack.callback(loop.reloader.stop)
        watcher = FolderWatcher(loop.library.folder, lambda: loop.post(Reload()))
        watcher.start()
        stack.callback(watcher.stop)
        _handle_signals(loop, stack)
        if args.simulate and _desktop() and any(o.reads_keys for o in loop.outputs):
            loop.after(0.0, poll_keys(loop))  # keys as buttons: only a desktop window has them
        if setup:
            setup(loop)
        notifier.ready(loop.tracker.text)
        stack.callback(notifier.stopping)  # said first on the way down
        loop.run()
    return 0


def _build(
    config: Config,
    args: argparse.Namespace,
    clock: Clock,
    outputs: list[Output],
    events: EventLog,
    notifier: Notifier,
    factory: MockPins | None,
    failed: dict[str, str],
) -> Loop:
    """The loop over the configured routines, or over the bundled demo for `demo`."""
    if args.demo:
        folder, store, selected = BUNDLED_ROUTINES, None, "demo"
    else:
        folder = routines_folder(args.routines, config.routines.folder)
        store, selected = StateStore(state_folder(config.daemon.state)), ""
    return build_loop(
        config,
        folder,
        clock,
        outputs,
        store=store,
        events=events,
        notifier=notifier,
        factory=factory,
        selected=selected,
        failed=failed,
    )


def _simulated_pins(stack: contextlib.ExitStack):
    """gpiozero's MockFactory (with PWM, for the LED) for the whole run; restored after."""
    from gpiozero import Device
    from gpiozero.pins.mock import MockFactory, MockPWMPin

    previous = Device.pin_factory
    Device.pin_factory = MockFactory(pin_class=MockPWMPin)

    def restore() -> None:
        Device.pin_factory.close()
        Device.pin_factory = previous

    stack.callback(restore)
    return Device.pin_factory


def _stop_outputs(outputs: list) -> None:
    for output in reversed(outputs):
        try:
            output.stop()
        except Exception:  # one output failing to close must not keep the others open
            log.exception("stopping %s", type(output).__name__)


def _handle_signals(loop: Loop, stack: contextlib.ExitStack) -> None:
    """SIGTERM and SIGINT ask the loop to stop; it then unwinds the stack in reverse order."""
    for number in (signal.SIGTERM, signal.SIGINT):
        previous = signal.signal(number, lambda n, _f: loop.post(Stop(signal.Signals(n).name)))
        stack.callback(signal.signal, number, previous)


def run_ctl(args: argparse.Namespace) -> int:
    message: dict = {"cmd": args.cmd}
    if args.cmd in ("start", "select", "program-start") and args.arg:
        message["name"] = args.arg
    if args.cmd == "program-start" and args.start:
        message["from"] = args.start
    if args.cmd == "select" and not args.arg:
        raise MassageTimerError("select needs a routine name")
    if args.cmd == "press":
        if not args.arg:
            raise MassageTimerError("press needs a button: play, next or repeat")
        message["button"] = args.arg
        if args.hold is not None:
            message["hold"] = args.hold
    reply = ask_daemon(args, message)
    if reply.get("note"):  # done, with something to know (start: already running)
        print(reply["note"])
    if args.cmd == "status":
        print(json.dumps(reply["status"], indent=2))
    elif args.cmd == "reload":
        print("\n".join(reply.get("problems", [])) or f"{len(reply['routines'])} routines")
    return 0


def ask_daemon(args: argparse.Namespace, message: dict) -> dict:
    """The daemon's reply to ``message``; MassageTimerError if it failed or is not there
    (DaemonAbsent, a kind of it, when no daemon is running)."""
    path = socket_path(getattr(args, "socket", None) or _configured_socket(args), for_client=True)
    try:
        reply = request(path, message)
    except (FileNotFoundError, ConnectionRefusedError):
        raise DaemonAbsent(f"the daemon is not running (no socket at {path})") from None
    except PermissionError:
        raise MassageTimerError(
            f"permission denied on {path}: you need the massage-timer group; if the installer "
            "just added you, log out and in again (or run: newgrp massage-timer)"
        ) from None
    if not reply.get("ok"):
        raise MassageTimerError(reply.get("error", "failed"))
    return reply


class DaemonAbsent(MassageTimerError):
    """No daemon answers on the control socket."""


def _configured_socket(args: argparse.Namespace) -> str:
    try:
        return configured(args).daemon.socket
    except MassageTimerError:
        return ""


def run_demo(args: argparse.Namespace) -> int:
    """The bundled demo routine, in simulation, start to end; a window if there is a screen."""
    config = configured(args)
    has_display = _desktop()
    args.simulate, args.headless, args.events, args.demo = True, not has_display, None, True
    args.no_window, args.terminal = not has_display, not has_display
    return run_daemon(config, args, setup=_script_demo)


def _desktop() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _script_demo(loop: Loop) -> None:
    """Start the demo, press PLAY on its wait step like a person would, stop at the end."""

    def press_play(now: float) -> None:
        press(loop.board, "play", None, loop.decoder, loop.after)

    def follow(actions: Sequence[Action], now: float) -> None:
        session = loop.controller.session
        for action in actions:
            if isinstance(action, StepStarted) and session and session.current.step.wait:
                loop.after(DEMO_PRESS_AFTER, press_play)
            if isinstance(action, StateChanged) and action.state is State.DONE:
                loop.after(DEMO_LINGER, lambda now: loop.post(Stop("demo finished")))

    loop.listeners.append(follow)
    for output in loop.outputs:  # the first run renders the speech; let it finish first
        if not output.wait_ready(DEMO_READY_WAIT):
            log.warning("speech is still being prepared; starting anyway")
    loop.post(Request({"cmd": "start", "name": "demo"}, lambda answer: None))
