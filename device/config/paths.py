"""Where things live: bundled files, the user's folders, and the system service's.

The system service's folders are ``/etc/massage-timer`` (config.toml and routines/)
and ``/run/massage-timer`` (the control socket). ``MASSAGE_TIMER_SYSTEM_CONFIG_DIR``
and ``MASSAGE_TIMER_SYSTEM_RUNTIME_DIR`` move them: the tests point both at a
folder of their own, so a machine with the service installed cannot leak into a run.
"""

from __future__ import annotations

import importlib.resources
import os
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]


def _bundled_routines() -> Path:
    """The routines that ship with massage-timer: inside the installed package (the wheel
    carries the top-level routines/ as device/routines), else the checkout's routines/
    (an editable install, or a run from the source tree)."""
    installed = importlib.resources.files("device") / "routines"
    if isinstance(installed, Path) and installed.is_dir():
        return installed
    return CHECKOUT / "routines"


BUNDLED_ROUTINES = _bundled_routines()
SYSTEM_CONFIG_DIR = "MASSAGE_TIMER_SYSTEM_CONFIG_DIR"
SYSTEM_RUNTIME_DIR = "MASSAGE_TIMER_SYSTEM_RUNTIME_DIR"


def system_config_folder() -> Path:
    """``/etc/massage-timer``, unless MASSAGE_TIMER_SYSTEM_CONFIG_DIR names another."""
    return Path(os.environ.get(SYSTEM_CONFIG_DIR) or "/etc/massage-timer")


def system_runtime_folder() -> Path:
    """``/run/massage-timer``, unless MASSAGE_TIMER_SYSTEM_RUNTIME_DIR names another."""
    return Path(os.environ.get(SYSTEM_RUNTIME_DIR) or "/run/massage-timer")


def system_config() -> Path:
    return system_config_folder() / "config.toml"


def system_routines() -> Path:
    return system_config_folder() / "routines"


def user_config() -> Path:
    return _xdg("XDG_CONFIG_HOME", ".config") / "config.toml"


def find_config(explicit: str | None = None) -> Path | None:
    """``--config``, else the system service's, else the user's config file; None: defaults."""
    if explicit:
        return Path(explicit)
    for candidate in (system_config(), user_config()):
        if candidate.exists():
            return candidate
    return None


def routines_folder(explicit: str | None, configured: str = "") -> Path:
    """``--routines``, else the config's folder, else the system one, else the bundled one."""
    if explicit:
        return Path(explicit)
    if configured:
        return Path(configured)
    system = system_routines()
    return system if system.is_dir() else BUNDLED_ROUTINES


def _xdg(variable: str, fallback: str) -> Path:
    return Path(os.environ.get(variable) or Path.home() / fallback) / "massage-timer"


def cache_folder(configured: str = "") -> Path:
    return Path(configured) if configured else _xdg("XDG_CACHE_HOME", ".cache")


def state_folder(configured: str = "") -> Path:
    return Path(configured) if configured else _xdg("XDG_STATE_HOME", ".local/state")
