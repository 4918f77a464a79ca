"""Where things live: bundled files, the user's folders, and the system service's."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[2]
BUNDLED_ROUTINES = PACKAGE_ROOT / "routines"
SYSTEM_ROUTINES = Path("/etc/massage-timer/routines")
SYSTEM_CONFIG = Path("/etc/massage-timer/config.toml")


def find_config(explicit: str | None = None) -> Path | None:
    """``--config``, else the system service's, else the user's config file; None: defaults."""
    if explicit:
        return Path(explicit)
    if SYSTEM_CONFIG.exists():
        return SYSTEM_CONFIG
    user = _xdg("XDG_CONFIG_HOME", ".config") / "config.toml"
    return user if user.exists() else None


def routines_folder(explicit: str | None, configured: str = "") -> Path:
    """``--routines``, else the config's folder, else the system one, else the bundled one."""
    if explicit:
        return Path(explicit)
    if configured:
        return Path(configured)
    return SYSTEM_ROUTINES if SYSTEM_ROUTINES.is_dir() else BUNDLED_ROUTINES


def _xdg(variable: str, fallback: str) -> Path:
    return Path(os.environ.get(variable) or Path.home() / fallback) / "massage-timer"


def cache_folder(configured: str = "") -> Path:
    return Path(configured) if configured else _xdg("XDG_CACHE_HOME", ".cache")


def state_folder(configured: str = "") -> Path:
    return Path(configured) if configured else _xdg("XDG_STATE_HOME", ".local/state")
