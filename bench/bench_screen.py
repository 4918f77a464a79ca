"""Display benchmark: frame times, and the CPU a routine costs with the screen on or headless.

Run: ``.venv/bin/python bench/bench_screen.py`` (SDL's dummy video driver, about 20 s).
Prints markdown tables. CPU is measured by driving a whole routine through the
session and the screen the way the daemon does, jumping the clock from one
deadline to the next instead of sleeping: CPU seconds spent divided by the
routine's length is the share of one core it would take in real time.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pygame  # after the SDL settings above

from device.config.schema import Config
from device.core.catalog import load_catalog
from device.core.session import Command, Session, State
from device.core.timeline import plan
from device.core.view import RoutineView
from device.display.painter import Painter
from device.display.screen import Screen
from device.display.text import Fonts

ROUTINES = Path(__file__).resolve().parent.parent / "routines"
SIZES = [(480, 320), (800, 480), (1920, 1080)]


def frame_times(size: tuple[int, int], bundled: bool, routine, repeats: int = 30) -> list[float]:
    """Median milliseconds: a step's first frame (fonts loaded and fitted afresh), a whole
    frame, and the once-a-second partial redraw."""
    timeline = plan(routine)
    index = next(i for i, s in enumerate(routine.steps) if not s.wait)
    surface = pygame.Surface(size)
    cold = []
    for n in range(5):
        start = time.perf_counter()
        Painter(size, Fonts(bundled)).draw(surface, RoutineView.of(timeline, index, "running", n))
        cold.append(time.perf_counter() - start)
    fonts = Fonts(bundled)
    painter = Painter(size, fonts)
    whole, moving = [], []
    for n in range(repeats):
        view = RoutineView.of(timeline, index, "running", n % 10)
        start = time.perf_counter()
        painter.draw(surface, view)
        whole.append(time.perf_counter() - start)
        start = time.perf_counter()
        painter.draw_moving(surface, view)
        moving.append(time.perf_counter() - start)
    return [statistics.median(times) * 1000 for times in (cold, whole, moving)]


def run_routine(routine, screen: Screen) -> tuple[float, int]:
    """CPU seconds to run ``routine`` start to finish through ``screen``; and frames drawn."""
    session = Session.of(routine)
    now = 0.0
    start = time.process_time()
    actions = session.handle(Command.START, now)
    while session.state is not State.DONE:
        screen.perform(actions, now)
        redraw = screen.show(session.view(now), now)
        if session.state is State.WAITING:
            now += 5.0  # somebody takes five seconds to oil their hands, then presses PLAY
            actions = session.handle(Command.PLAY, now)
            continue
        deadlines = [d for d in (session.next_deadline(), redraw) if d is not None]
        now = max(now, min(deadlines))
        actions = session.handle(Command.TICK, now)
    return time.process_time() - start, screen.frames


def cpu_table(routines) -> list[str]:
    rows = [
        "| routine | length | output | frames | CPU s | share of one core |",
        "|---|---|---|---|---|---|",
    ]
    for routine in routines:
        for label, size, headless in [("headless", (800, 480), True)] + [
            (f"display {w}x{h}", (w, h), False) for w, h in SIZES
        ]:
            config = Config().replaced(display={"width": size[0], "height": size[1]})
            screen = Screen(config, headless=headless)
            screen.start()
            try:
                cpu, frames = run_routine(routine, screen)
            finally:
                screen.stop()
            share = cpu / routine.duration * 100
            rows.append(
                f"| {routine.name} | {routine.duration:.0f} s | {label} | {frames} "
                f"| {cpu:.3f} | {share:.3f} % |"
            )
    return rows


def main() -> int:
    pygame.font.init()
    catalog = load_catalog([ROUTINES])
    demo = catalog.routines["demo"]
    longest = max(catalog.routines.values(), key=lambda r: r.duration)
    print(
        f"pygame {pygame.version.ver}, SDL {'.'.join(map(str, pygame.get_sdl_version()))}, "
        f"video driver {os.environ['SDL_VIDEODRIVER']}, python {sys.version.split()[0]}\n"
    )
    for bundled in (False, True):
        print(f"### Frame time, font {Fonts(bundled).name}\n")
        print(
            "| size | first frame of a step (ms) | whole frame (ms) | once-a-second redraw (ms) |"
        )
        print("|---|---|---|---|")
        for size in SIZES:
            cold, whole, moving = frame_times(size, bundled, demo)
            print(f"| {size[0]}x{size[1]} | {cold:.2f} | {whole:.2f} | {moving:.2f} |")
        print()
    print("### CPU for a whole routine (clock jumped between deadlines, no sleeping)\n")
    print("\n".join(cpu_table([demo, longest])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
