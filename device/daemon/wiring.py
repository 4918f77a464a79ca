"""Putting the daemon together: its outputs and its loop, built the same way by the CLI
(`run`, `demo`) and by the tests, so the tests exercise the real wiring."""

from __future__ import annotations

import functools
import importlib
import logging
import sys
from pathlib import Path

from device.config.schema import ButtonsConfig, Config, RoutinesConfig
from device.core.controller import DEFAULT_GESTURES, SINGLE_BUTTON_GESTURES, Controller
from device.core.gestures import GestureDecoder
from device.core.timeline import plan
from device.daemon.board import Board
from device.daemon.lastgood import LAST_GOOD_FOLDER, LastGood
from device.daemon.library import Library
from device.daemon.loop import Loop
from device.daemon.state import StateStore, Tracker
from device.display.terminal import TerminalOutput

log = logging.getLogger(__name__)


def build_loop(config: Config, folder: Path, clock, outputs: list, **parts) -> Loop:
    """The loop over ``folder`` with its buttons open and the routines loaded.

    ``parts``: ``store`` (a StateStore, or None: no resume or history), ``events``,
    ``notifier``, ``factory`` (mock pins), ``selected`` (else the config's), ``failed``
    (outputs that could not start: role -> why)."""
    store: StateStore | None = parts.get("store")
    wanted = parts.get("selected") or config.routines.selected
    controller = Controller(
        {}, wanted, wake_seconds=config.display.wake, planner=planner_for(outputs)
    )
    single = config.buttons.single_button
    loop = Loop(
        controller,
        outputs,
        clock,
        decoder=decoder_for(config.buttons),
        gestures=SINGLE_BUTTON_GESTURES if single else DEFAULT_GESTURES,
        library=Library(folder, LastGood(store.folder / LAST_GOOD_FOLDER) if store else None),
        events=parts.get("events"),
        notifier=parts.get("notifier"),
        tracker=Tracker(store, config.daemon.resume_window, _program(config.routines)),
        factory=parts.get("factory"),
        pause_after=config.motion.pause_after if config.motion.enabled else 0.0,
    )
    loop.board = Board(config, loop.post, clock)
    loop.board.start()
    failed = parts.get("failed", {})
    loop.missing = functools.partial(missing_hardware, loop.board, loop.outputs, failed)
    loop.post("reload")
    loop.run_once(timeout=0)  # the first load, before anything else can happen
    return loop


def _program(routines: RoutinesConfig) -> tuple[str, str]:
    return (routines.program, routines.program_start)


def decoder_for(buttons: ButtonsConfig) -> GestureDecoder:
    return GestureDecoder(
        hold=buttons.hold,
        bounce=buttons.bounce,
        double=buttons.double,
        single_button=buttons.single_button,
    )


def planner_for(outputs: list):
    """Plan with the speaker's phrase lengths, so announcements end before their boundary."""
    lengths = next((o.speech_length for o in outputs if hasattr(o, "speech_length")), None)
    return functools.partial(plan, speech_length=lengths)


def build_outputs(config: Config, args, clock, failed: dict[str, str] | None = None) -> list:
    """Speaker, screen, and the terminal when no screen shows; each optional, none fatal.
    ``failed`` collects the role ("speaker", "display") and reason of each that could not load."""
    failed = {} if failed is None else failed
    outputs = []
    if config.audio.enabled:
        outputs += _optional(failed, "speaker", "device.audio.speaker", "Speaker", config, clock)
    screen = []
    if config.display.enabled and not getattr(args, "no_window", False):
        headless = bool(args.headless)
        screen = _optional(failed, "display", "device.display.screen", "Screen", config, headless)
    outputs += screen
    if getattr(args, "terminal", False) or (not screen and sys.stdout.isatty()):
        outputs.append(TerminalOutput(sys.stdout))
    return outputs


def start_outputs(outputs: list, failed: dict[str, str] | None = None) -> list:
    """Start each output in order; one that cannot start is left out (said once, and put
    in ``failed`` under its role)."""
    started = []
    for output in outputs:
        try:
            output.start()
            started.append(output)
        except Exception as error:  # missing hardware degrades, it does not crash
            log.warning("%s unavailable: %s", type(output).__name__, error)
            if failed is not None:
                failed[getattr(output, "role", type(output).__name__)] = str(error)
    return started


def missing_hardware(board: Board, outputs: list, failed: dict[str, str]) -> dict[str, str]:
    """What does not work now, by role, with why: for ctl status and the idle screen."""
    missing = {**board.problems, **failed}
    for output in outputs:
        problem = output.problem() if hasattr(output, "problem") else ""
        if problem:
            missing[output.role] = problem
    return missing


def _optional(failed: dict[str, str], role: str, module: str, name: str, *args) -> list:
    try:
        return [getattr(importlib.import_module(module), name)(*args)]
    except Exception as error:  # no pygame, no SDL library, a broken install...
        log.warning("%s unavailable: %s", name.lower(), error)
        failed[role] = str(error)
        return []
