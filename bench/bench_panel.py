"""Panel power benchmark: how long waking the dark mirror takes on our side.

Run: ``.venv/bin/python bench/bench_panel.py`` (SDL's dummy video driver, a few seconds).
Measures ``Screen.show`` of the lit idle view right after the dark one, which switches the
panel on and then draws the frame, for each control: a sysfs backlight (a file in a temp
folder) and a command (a stand-in ``vcgencmd`` script, so the cost is one fork+exec). The
panel's own power-up (backlight: near instant; HDMI monitors: often a second or more to
resync) comes on top and needs the real hardware.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from device.config.schema import Config
from device.core.view import IdleView
from device.display.panel import Backlight, PanelPower, Vcgencmd
from device.display.screen import Screen

AWAKE = IdleView(awake=True, routine_title="Morning depuff", routine_length=240)
DARK = IdleView(awake=False)


def wake_ms(control: PanelPower | None, size=(800, 480), repeats: int = 30) -> float:
    """Median milliseconds from a dark screen to the lit idle frame, panel switch included."""
    screen = Screen(Config().replaced(display={"width": size[0], "height": size[1]}))
    screen.start()
    screen.panel = control
    times = []
    try:
        for _ in range(repeats):
            screen.show(DARK, 0.0)
            started = time.perf_counter()
            screen.show(AWAKE, 1.0)
            times.append(time.perf_counter() - started)
    finally:
        screen.stop()
    return 1000 * statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        switch = Path(folder) / "panel" / "bl_power"
        switch.parent.mkdir()
        switch.write_text("0")
        tool = Path(folder) / "vcgencmd"
        tool.write_text("#!/bin/sh\necho display_power=1\n")
        tool.chmod(0o755)
        os.environ["PATH"] = f"{folder}{os.pathsep}{os.environ['PATH']}"
        print("| panel control | wake, 800x480 (median ms) |\n|---|---|")
        print(f"| none (drawn black) | {wake_ms(None):.1f} |")
        print(f"| sysfs backlight | {wake_ms(Backlight(switch)):.1f} |")
        print(f"| a command (vcgencmd stand-in) | {wake_ms(Vcgencmd()):.1f} |")


if __name__ == "__main__":
    main()
