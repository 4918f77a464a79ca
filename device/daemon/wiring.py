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
    ``notifier``, ``factory`` (mock pins), ``selected`` (else the config's)."""
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


def build_outputs(config: Config, args, clock) -> list:
    """Speaker, screen, and the terminal when no screen shows; each optional, none fatal."""
    outputs = []
    if config.audio.enabled:
        outputs += _optional("device.audio.speaker", "Speaker", config, clock)
    screen = []
    if config.display.enabled and not getattr(args, "no_window", False):
        screen = _optional("device.display.screen", "Screen", config, headless=bool(args.headless))
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
    except Exception as error:  # no pygame, no SDL library, a broken install...
        log.warning("%s unavailable: %s", name.lower(), error)
        return []
