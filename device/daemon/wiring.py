"""Putting the daemon together: its outputs and its loop, built the same way by the CLI
(`run`, `demo`) and by the tests, so the tests exercise the real wiring."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from device.clock import Clock
from device.config.schema import ButtonsConfig, Config, RoutinesConfig
from device.core.controller import DEFAULT_GESTURES, SINGLE_BUTTON_GESTURES, Controller
from device.core.gestures import GestureDecoder
from device.core.outputs import Output
from device.core.routine import Routine
from device.core.timeline import Timeline, plan
from device.daemon.board import Board, MockPins
from device.daemon.control import EventLog
from device.daemon.following import Reminder
from device.daemon.inbox import Reload
from device.daemon.lastgood import LAST_GOOD_FOLDER, LastGood
from device.daemon.library import Library
from device.daemon.loop import Loop
from device.daemon.notify import Notifier
from device.daemon.state import StateStore, Tracker
from device.display.terminal import TerminalOutput

log = logging.getLogger(__name__)


def build_loop(
    config: Config,
    folder: Path,
    clock: Clock,
    outputs: Sequence[Output],
    *,
    store: StateStore | None = None,
    events: EventLog | None = None,
    notifier: Notifier | None = None,
    factory: MockPins | None = None,
    selected: str = "",
    failed: dict[str, str] | None = None,
) -> Loop:
    """The loop over ``folder`` with its buttons open and the routines loaded.

    ``store`` keeps resume and history (None: neither); ``factory`` is the MockFactory
    of a simulation (for `ctl press`); ``selected`` overrides the config's routine;
    ``failed`` holds the outputs that could not start (role -> why)."""
    wanted = selected or config.routines.selected
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
        events=events,
        notifier=notifier,
        tracker=Tracker(store, config.daemon.resume_window, _program(config.routines)),
        pause_after=config.motion.pause_after if config.motion.enabled else 0.0,
        reminder=Reminder(config.motion.reminder, config.motion.reminder_chime)
        if config.motion.enabled
        else None,
    )
    loop.board = Board(config, loop.post, clock, factory)
    loop.board.start()
    loop.missing = functools.partial(missing_hardware, loop.board, loop.outputs, failed or {})
    loop.post(Reload())
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


def planner_for(outputs: Sequence[Output]) -> Callable[[Routine], Timeline]:
    """Plan with the speaker's phrase lengths, so announcements end before their boundary."""
    lengths = next((f for f in (o.phrase_lengths() for o in outputs) if f), None)
    return functools.partial(plan, speech_length=lengths)


def build_outputs(
    config: Config,
    clock: Clock,
    *,
    headless: bool = False,
    window: bool = True,
    terminal: bool = False,
    failed: dict[str, str] | None = None,
) -> list[Output]:
    """Speaker, screen, and the terminal when no screen shows; each optional, none fatal.
    ``headless``: a Screen that draws nothing; ``window`` False: no Screen at all;
    ``terminal``: progress lines on stdout even with a screen. ``failed`` collects the
    role ("speaker", "display") and reason of each that could not load."""
    failed = {} if failed is None else failed
    outputs = []
    if config.audio.enabled:
        outputs += _optional(failed, "speaker", functools.partial(_speaker, config, clock))
    screen = []
    if config.display.enabled and window:
        screen = _optional(failed, "display", functools.partial(_screen, config, headless))
    outputs += screen
    if terminal or (not screen and sys.stdout.isatty()):
        outputs.append(TerminalOutput(sys.stdout))
    return outputs


def _speaker(config: Config, clock: Clock) -> Output:
    from device.audio.speaker import Speaker  # pygame: imported only when sound is wanted

    return Speaker(config, clock)


def _screen(config: Config, headless: bool) -> Output:
    from device.display.screen import Screen  # pygame: imported only when a screen is wanted

    return Screen(config, headless=headless)


def start_outputs(outputs: Sequence[Output], failed: dict[str, str] | None = None) -> list[Output]:
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
                failed[output.role] = str(error)
    return started


def missing_hardware(
    board: Board, outputs: Iterable[Output], failed: dict[str, str]
) -> dict[str, str]:
    """What does not work now, by role, with why: for ctl status and the idle screen."""
    missing = {**board.problems, **failed}
    for output in outputs:
        problem = output.problem()
        if problem:
            missing[output.role] = problem
    return missing


def _optional(failed: dict[str, str], role: str, make: Callable[[], Output]) -> list[Output]:
    try:
        return [make()]
    except Exception as error:  # no pygame, no SDL library, a broken install...
        log.warning("%s unavailable: %s", role, error)
        failed[role] = str(error)
        return []
