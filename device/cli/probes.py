"""What ``doctor`` looks at: each probe tries the real thing and says what it found.

A probe returns Findings; one with a ``fix`` is a problem, and the fix is the command
or edit that solves it. Probes never change anything and never keep a device open.
"""

from __future__ import annotations

import argparse
import grp
import os
import pwd
import shutil
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path

from device.cli.checks import SERVICE_USER
from device.config.paths import routines_folder
from device.config.schema import Config
from device.core.catalog import load_catalog
from device.daemon.control import request, socket_path

SERVICE = "massage-timer.service"
INSTALLED_UNIT = Path("/etc/systemd/system") / SERVICE
SERVICE_GROUPS = ("gpio", "audio", "video", "render", "input")  # the unit's SupplementaryGroups
LGPIO_FIX = (
    "sudo apt install python3-lgpio (Raspberry Pi OS), "
    "or sudo /opt/massage-timer/venv/bin/pip install lgpio"
)


@dataclass(frozen=True)
class Finding:
    """One line of the report: what was found, and the fix when something is wrong."""

    topic: str
    text: str
    fix: str = ""


def buttons(config: Config) -> list[Finding]:
    """The pin factory gpiozero picks, and what each configured button's pin reads now."""
    try:
        from gpiozero import Device, DigitalInputDevice
    except ImportError as error:
        return [Finding("buttons", f"gpiozero cannot load: {error}", "re-run install-pi.sh")]
    with warnings.catch_warnings(record=True) as fallbacks:
        warnings.simplefilter("always")
        try:
            factory = Device.pin_factory or Device._default_pin_factory()
        except Exception as error:  # BadPinFactory: no lgpio, not a Pi
            why = str(fallbacks[0].message) if fallbacks else str(error)  # lgpio's is first
            return [Finding("buttons", f"no GPIO: {why}", _gpio_fix())]
    name = type(factory).__name__.removesuffix("Factory")
    reads = [
        _read_pin(DigitalInputDevice, factory, button, pin)
        for button, pin in config.buttons.in_use().items()
    ]
    good = [r.text for r in reads if not r.fix]
    return [
        Finding("buttons", "; ".join([f"pin factory {name}", *good])),
        *(r for r in reads if r.fix),
    ]


def _gpio_fix() -> str:
    """Install lgpio, unless it is there and the board is simply not a Raspberry Pi."""
    try:
        import lgpio  # noqa: F401 - only whether it loads
    except ImportError:
        return LGPIO_FIX
    return "lgpio is installed but this is not a Raspberry Pi (or /proc/device-tree is hidden)"


def _read_pin(kind, factory, button: str, pin: int) -> Finding:
    try:
        device = kind(pin, pull_up=True, pin_factory=factory)
    except Exception as error:
        if "busy" in str(error).lower():  # the running service holds it: that is fine
            return Finding("buttons", f"{button} GPIO{pin} in use by the service")
        return Finding("buttons", f"{button} GPIO{pin}: {error}", f"check buttons.{button}")
    try:
        return Finding("buttons", f"{button} GPIO{pin} {'pressed' if device.value else 'up'}")
    finally:
        device.close()


def speech(config: Config) -> list[Finding]:
    """espeak-ng, and Piper when ``[voice] engine = "piper"`` chooses it."""
    from device.audio.engines import PIPER_HINT, Piper, configured_engines, piper_version
    from device.audio.speech import espeak_problem

    problem = espeak_problem()
    if problem:
        return [Finding("speech", problem, "sudo apt install espeak-ng")]
    version = shutil.which("espeak-ng") and _output(["espeak-ng", "--version"])
    found = [Finding("speech", (version or "libespeak-ng loads").split(" Data at")[0].strip())]
    for engine in configured_engines(config.voice):
        if not isinstance(engine, Piper):
            continue
        if problem := engine.problem():
            fix = PIPER_HINT if piper_version() is None else "check voice.piper_voice"
            found.append(Finding("speech", f"piper: {problem}", fix))
        else:
            model = engine.model_path()
            found.append(
                Finding("speech", f"piper {piper_version()}, voice {model and model.name}")
            )
    return found


def groups(user: str | None = None) -> list[Finding]:
    """The service user's groups, and whether this login may use ctl and edit routines."""
    if not _known(pwd.getpwnam, SERVICE_USER):  # install-pi.sh makes the user and groups
        return [Finding("groups", f"no {SERVICE_USER} user (the service is not installed)")]
    found = []
    missing = [g for g in SERVICE_GROUPS if not _known(grp.getgrnam, g)]
    if missing:
        fix = "sudo groupadd --system " + " / ".join(missing) + " (install-pi.sh does it)"
        found.append(Finding("groups", f"missing groups the unit needs: {missing}", fix))
    user = user or pwd.getpwuid(os.getuid()).pw_name
    if user == "root" or (SERVICE_USER in _member_of(user) and _in_session(SERVICE_USER)):
        return [*found, Finding("groups", f"{user} may edit routines and use ctl")]
    if SERVICE_USER in _member_of(user):
        fix = f"log out and in again (or run: newgrp {SERVICE_USER})"
        return [*found, Finding("groups", f"{user} was added to {SERVICE_USER} since login", fix)]
    fix = f"sudo usermod -aG {SERVICE_USER} {user}, then log out and in again"
    return [*found, Finding("groups", f"{user} is not in the {SERVICE_USER} group", fix)]


def _known(lookup, name: str) -> bool:
    """Whether ``grp.getgrnam`` or ``pwd.getpwnam`` knows ``name``."""
    try:
        lookup(name)
        return True
    except KeyError:
        return False


def _member_of(user: str) -> set[str]:
    return {g.gr_name for g in grp.getgrall() if user in g.gr_mem}


def _in_session(group: str) -> bool:
    """Whether this process already has the group (it does only after a new login)."""
    return grp.getgrnam(group).gr_gid in os.getgroups()


def service() -> list[Finding]:
    """The systemd unit: installed, enabled, running."""
    if not shutil.which("systemctl"):
        return [Finding("service", "no systemctl here")]
    enabled = _output(["systemctl", "--root=/", "is-enabled", SERVICE]) or "not installed"
    if enabled == "not installed":
        return [Finding("service", "not installed (sudo ./scripts/install-pi.sh)")]
    if not Path("/run/systemd/system").is_dir():
        return [Finding("service", f"{enabled}; systemd is not running here (chroot?)")]
    active = _output(["systemctl", "is-active", SERVICE]) or "unknown"
    text = f"{enabled}, {active}"
    if active == "failed":
        return [Finding("service", text, f"journalctl -u {SERVICE} -n 30, then fix what it says")]
    return [Finding("service", text)]


MISSING_FIXES = {
    "buttons": LGPIO_FIX,
    "speaker": "check the speaker is on and connected; massage-timer audio-devices",
    "display": "connect the screen before boot; journalctl -u massage-timer says why",
}


def running_daemon(config: Config) -> list[Finding]:
    """What the running daemon says about itself, the hardware it could not open included."""
    path = socket_path(config.daemon.socket, for_client=True)
    try:
        status = request(path, {"cmd": "status"}, timeout=5).get("status", {})
    except PermissionError:
        fix = f"log out and in again if you were just added to {SERVICE_USER}; else sudo"
        return [Finding("daemon", f"{path}: permission denied", fix)]
    except (OSError, ValueError):
        return [Finding("daemon", f"not running (no answer at {path})")]
    found = [Finding("daemon", f"{status.get('state')}; selected {status.get('selected')}")]
    for what, why in status.get("missing", {}).items():
        fix = MISSING_FIXES.get(what.split()[0], f"journalctl -u {SERVICE}")
        found.append(Finding("daemon", f"{what} does not work: {why}", fix))
    return found


def routines(args: argparse.Namespace, config: Config) -> list[Finding]:
    folder = routines_folder(args.routines, config.routines.folder)
    catalog = load_catalog([folder])
    text = f"{folder}: {len(catalog.routines)} routines, {len(catalog.programs)} programs"
    found = [Finding("routines", text)]
    for problem in catalog.problems:
        found.append(Finding("routines", str(problem), "edit it; `massage-timer check` retells"))
    selected = config.routines.selected
    if catalog.routines and selected not in catalog.routines:
        fix = f"set routines.selected to one of: {', '.join(catalog.names)}"
        found.append(Finding("routines", f'selected routine "{selected}" is not there', fix))
    return found


def _output(command: list[str]) -> str:
    """A command's first line of output ('' when it cannot run)."""
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return (result.stdout.strip().splitlines() or [""])[0]


def audio(config: Config) -> list[Finding]:
    """The outputs SDL finds with the service's driver, and the one the config picks."""
    if not config.audio.enabled:
        return [Finding("audio", "disabled in the config (audio.enabled = false)")]
    from device.audio.mixer import output_names

    driver = os.environ.get("SDL_AUDIODRIVER") or "SDL's choice"
    try:
        names = output_names()
    except Exception as error:  # pygame's own error type: no driver at all
        return [
            Finding("audio", f"no audio driver ({driver}): {error}", "sudo apt install alsa-utils")
        ]
    wanted = config.audio.device
    if not names:
        fix = "plug in or pair a speaker; `aplay -l` lists the sound cards the kernel sees"
        return [Finding("audio", f"no output found ({driver})", fix)]
    in_use = wanted or f"{names[0]} (the default)"
    found = [Finding("audio", f"{driver}: {', '.join(names)}; in use: {in_use}")]
    if wanted and wanted not in names:
        fix = f'audio.device = one of {names}, or "" for the default'
        found.append(Finding("audio", f'audio.device "{wanted}" is not there', fix))
    return found


def display(config: Config) -> list[Finding]:
    """The video driver SDL opens with the service's settings, the screen size, and how
    the panel is switched off while the mirror is dark."""
    if not config.display.enabled:
        return [Finding("display", "disabled in the config (display.enabled = false)")]
    return [*_video(config), panel_power(config.display.panel_power)]


def panel_power(choice: str) -> Finding:
    from device.display.panel import find_panel

    found = find_panel(choice)
    if found is not None:
        return Finding("panel", f"switched off while dark by {found.name}")
    if choice in ("auto", "none"):
        return Finding("panel", "no power control found: dark is drawn black (see hardware.md)")
    fix = 'display.panel_power = "auto", or install what it needs (hardware.md)'
    return Finding("panel", f"panel_power = {choice!r} is not available here", fix)


def _video(config: Config) -> list[Finding]:
    if config.display.framebuffer:
        return [_framebuffer(config.display.framebuffer, "")]
    from device.display.screen import CONSOLE_FRAMEBUFFER, choose_driver, kms_missing, pygame

    choose_driver()
    try:
        pygame.display.init()
        sizes = " ".join(f"{w}x{h}" for w, h in pygame.display.get_desktop_sizes())
        return [Finding("display", f"{pygame.display.get_driver()}: {sizes or 'no screen'}")]
    except pygame.error as error:
        if kms_missing(error):  # what the service then does, too
            return [_framebuffer(CONSOLE_FRAMEBUFFER, "pygame has no kmsdrm driver; ")]
        fix = "connect the screen before boot, or set display.enabled = false"
        return [Finding("display", f"no display: {error}", fix)]
    finally:
        pygame.display.quit()


def _framebuffer(path: str, why: str) -> Finding:
    if os.access(path, os.W_OK):
        return Finding("display", f"{why}framebuffer {path}")
    fix = "connect the screen before boot (or enable the panel's overlay); the video group"
    return Finding("display", f"{why}cannot write {path}", fix)


def service_environment(unit: Path | None = None) -> dict[str, str]:
    """The installed unit's Environment= lines, so doctor looks with the service's eyes."""
    try:
        lines = (unit or INSTALLED_UNIT).read_text().splitlines()
    except OSError:
        return {}
    found = {}
    for line in lines:
        setting = line.removeprefix("Environment=")
        if setting != line and "=" in setting:
            name, value = setting.split("=", 1)
            found[name] = value
    return found
