"""Sub-commands for the system install: update and uninstall (both need root).

``update`` pulls the checkout the installer was run from and runs its installer again,
which upgrades in place. ``uninstall`` removes what the installer put in place and keeps
the routines, config and history unless ``--purge``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from device.cli.probes import SERVICE, SERVICE_USER
from device.exc import MassageTimerError

PREFIX = "opt/massage-timer"
LINK = "usr/local/bin/massage-timer"
UNIT = f"etc/systemd/system/{SERVICE}"
WANTS = f"etc/systemd/system/multi-user.target.wants/{SERVICE}"
UDEV_RULE = "etc/udev/rules.d/60-massage-timer-gpio.rules"
ETC = "etc/massage-timer"
STATE = "var/lib/massage-timer"
CACHE = "var/cache/massage-timer"


@dataclass(frozen=True)
class Layout:
    """Where install-pi.sh puts things, under ``root`` (a test passes a temporary one)."""

    root: Path = Path("/")

    def __call__(self, relative: str) -> Path:
        return self.root / relative


def register(commands: argparse._SubParsersAction) -> None:
    update = commands.add_parser("update", help="pull the checkout and re-run its installer")
    update.set_defaults(run=run_update)
    uninstall = commands.add_parser("uninstall", help="remove the service (keeps your routines)")
    uninstall.add_argument("--purge", action="store_true", help="also routines, config, history")
    uninstall.set_defaults(run=run_uninstall)


def run_update(args: argparse.Namespace, layout: Layout = Layout()) -> int:
    _need_root()
    source = _source(layout)
    if (source / ".git").exists():
        owner = source.stat().st_uid  # pull as the checkout's owner: root must not own .git
        _run(["git", "-C", str(source), "pull", "--ff-only"], user=owner)
    _run([str(source / "scripts" / "install-pi.sh")])
    return 0


def run_uninstall(args: argparse.Namespace, layout: Layout = Layout()) -> int:
    _need_root()
    if shutil.which("systemctl"):
        if Path("/run/systemd/system").is_dir() and layout.root == Path("/"):
            subprocess.run(["systemctl", "stop", SERVICE], check=False)
        subprocess.run(["systemctl", f"--root={layout.root}", "disable", SERVICE], check=False)
    removed = [LINK, UNIT, WANTS, UDEV_RULE, PREFIX, CACHE] + ([ETC, STATE] if args.purge else [])
    for path in removed:
        _remove(layout(path))
    if args.purge and layout.root == Path("/"):
        subprocess.run(["userdel", SERVICE_USER], check=False)
    kept = "" if args.purge else f"; kept {layout(ETC)} and {layout(STATE)} (--purge removes them)"
    print(f"massage-timer removed{kept}")
    return 0


def _source(layout: Layout) -> Path:
    try:
        source = Path((layout(PREFIX) / "source").read_text().strip())
    except OSError:
        raise MassageTimerError("not installed with scripts/install-pi.sh") from None
    if not (source / "scripts" / "install-pi.sh").exists():
        raise MassageTimerError(f"the checkout it was installed from is gone: {source}")
    return source


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _need_root() -> None:
    if os.geteuid() != 0:
        raise MassageTimerError("this changes the system install: run it with sudo")


def _run(command: list[str], user: int | None = None) -> None:
    result = subprocess.run(command, check=False, user=user)
    if result.returncode:
        raise MassageTimerError(f"{' '.join(command)} failed (exit {result.returncode})")
