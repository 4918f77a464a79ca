"""Switching the panel itself off while the idle screen is dark, and on when woken.

Behind a two-way mirror a backlit LCD showing black still glows through the glass, so
"dark" should mean off. Each way a Pi can do it is a small class with ``off`` and ``on``:

- ``Backlight``: ``/sys/class/backlight/*/bl_power`` (the official DSI displays and most
  panels with a backlight driver): 4 is powered down, 0 is on.
- ``Vcgencmd``: ``vcgencmd display_power 0|1`` (HDMI under the firmware's display stack).
- ``WlrRandr``: ``wlr-randr --output NAME --off|--on`` under a Wayland desktop (labwc,
  wayfire, sway), for a daemon running in the desktop session.
- ``FramebufferBlank``: when the screen draws to a framebuffer, its own FBIOBLANK ioctl.
  On a KMS Pi /dev/fb0 is DRM's emulation, so this is DPMS off for the HDMI or DSI panel,
  through the device the service already holds (no sysfs, no extra tool).

``[display] panel_power`` picks one, or ``auto`` takes the first this system has; with
none the idle screen is simply drawn black. A control that fails is said once and
dropped: the mirror keeps working, drawing black.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)

BACKLIGHTS = Path("/sys/class/backlight")
TIMEOUT = 3.0  # seconds a power command may take before it counts as failed
POWER_DOWN, UNBLANK = "4", "0"  # FB_BLANK_POWERDOWN and FB_BLANK_UNBLANK
FBIOBLANK = 0x4611  # linux/fb.h


class PanelPower(Protocol):
    name: str

    def off(self) -> None: ...

    def on(self) -> None: ...


class Backlight:
    """The backlight's power switch in sysfs."""

    def __init__(self, switch: Path) -> None:
        self.switch = switch
        self.name = f"backlight {switch.parent.name}"

    @classmethod
    def find(cls, folder: Path | None = None) -> Backlight | None:
        switches = sorted((folder or BACKLIGHTS).glob("*/bl_power"))
        usable = [s for s in switches if os.access(s, os.W_OK)]
        return cls(usable[0]) if usable else None

    def off(self) -> None:
        self.switch.write_text(POWER_DOWN)

    def on(self) -> None:
        self.switch.write_text(UNBLANK)


class Vcgencmd:
    """The firmware's HDMI power, through ``vcgencmd``."""

    name = "vcgencmd display_power"

    @classmethod
    def find(cls) -> Vcgencmd | None:
        if not shutil.which("vcgencmd"):
            return None
        answer = _run(["vcgencmd", "display_power"], check=False)
        return cls() if answer.startswith("display_power=") else None  # KMS: "error=..."

    def off(self) -> None:
        _run(["vcgencmd", "display_power", "0"])

    def on(self) -> None:
        _run(["vcgencmd", "display_power", "1"])


class WlrRandr:
    """Every output of a wlroots Wayland desktop, through ``wlr-randr``."""

    def __init__(self, outputs: list[str]) -> None:
        self.outputs = outputs
        self.name = f"wlr-randr {' '.join(outputs)}"

    @classmethod
    def find(cls) -> WlrRandr | None:
        if not (os.environ.get("WAYLAND_DISPLAY") and shutil.which("wlr-randr")):
            return None
        listing = _run(["wlr-randr"], check=False, whole=True)
        # An output's own line starts at column 0: 'HDMI-A-1 "Dell Inc. ..."'
        outputs = [line.split()[0] for line in listing.splitlines() if line[:1].strip()]
        return cls(outputs) if outputs else None

    def off(self) -> None:
        self._switch("--off")

    def on(self) -> None:
        self._switch("--on")

    def _switch(self, how: str) -> None:
        command = ["wlr-randr"]
        for output in self.outputs:
            command += ["--output", output, how]
        _run(command)


class FramebufferBlank:
    """Blanking through the framebuffer device the screen writes to."""

    def __init__(self, fd: int, path: str) -> None:
        self.fd, self.name = fd, f"FBIOBLANK on {path}"

    @classmethod
    def find(cls, fd: int, path: str) -> FramebufferBlank | None:
        return cls(fd, path) if stat.S_ISCHR(os.fstat(fd).st_mode) else None  # not a test file

    def off(self) -> None:
        fcntl.ioctl(self.fd, FBIOBLANK, int(POWER_DOWN))

    def on(self) -> None:
        fcntl.ioctl(self.fd, FBIOBLANK, int(UNBLANK))


FINDERS: dict[str, Callable[[], PanelPower | None]] = {
    "backlight": Backlight.find,
    "vcgencmd": Vcgencmd.find,
    "wlr-randr": WlrRandr.find,
}


def find_panel(choice: str) -> PanelPower | None:
    """The control ``[display] panel_power`` asks for, if this system has it; None: draw black."""
    if choice == "none":
        return None
    finders = FINDERS.values() if choice == "auto" else [FINDERS[choice]]
    for finder in finders:
        try:
            found = finder()
        except (OSError, subprocess.SubprocessError) as error:
            log.debug("panel power: %s", error)
            continue
        if found is not None:
            return found
    return None


def _run(command: list[str], check: bool = True, whole: bool = False) -> str:
    result = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=check)
    return result.stdout if whole else result.stdout.strip()
