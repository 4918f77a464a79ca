"""The unit file: systemd-analyze verify, and the settings the hardware needs."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UNIT = ROOT / "systemd" / "massage-timer.service"
INSTALL = ROOT / "scripts" / "install-pi.sh"
INSTALLED_BINARY = "/opt/massage-timer/venv/bin/massage-timer"


def settings() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key, []).append(value)
    return found


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="needs systemd-analyze")
def test_systemd_analyze_verify_passes(tmp_path):
    # verify insists that ExecStart exists: point it at this checkout's console script
    binary = Path(sys.executable).parent / "massage-timer"
    unit = tmp_path / "massage-timer.service"
    unit.write_text(UNIT.read_text().replace(INSTALLED_BINARY, str(binary)))
    result = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "massage-timer.service" not in result.stderr, result.stderr


def test_unit_is_a_notify_service_with_watchdog_and_restart():
    unit = settings()
    assert unit["Type"] == ["notify"]
    assert int(unit["WatchdogSec"][0]) > 0
    assert unit["Restart"] == ["on-failure"]
    assert unit["ExecStart"][0].startswith(INSTALLED_BINARY)
    assert unit["ExecStart"][0].endswith(" run")


def test_unit_leaves_room_for_the_control_clients():
    from device.daemon.control_server import MAX_CLIENTS

    assert int(settings()["LimitNOFILE"][0]) >= 2 * MAX_CLIENTS + 64


def test_unit_keeps_gpio_sound_and_display_while_hardened():
    unit = settings()
    assert set(unit["SupplementaryGroups"][0].split()) == {
        "gpio",
        "audio",
        "video",
        "render",
        "input",
    }
    assert "GPIOZERO_PIN_FACTORY=lgpio" in unit["Environment"]
    assert unit["WorkingDirectory"] == ["/var/lib/massage-timer"]
    assert unit["StateDirectory"] == ["massage-timer"]  # so the working directory is writable
    assert unit["DevicePolicy"] == ["closed"]
    allowed = " ".join(unit["DeviceAllow"])
    for device in ("gpiochip", "char-alsa", "char-drm", "char-input"):
        assert device in allowed
    assert unit["ProtectSystem"] == ["strict"] and unit["ReadWritePaths"]
    assert unit["NoNewPrivileges"] == ["yes"] and unit["ProtectHome"] == ["yes"]
    assert unit["RestrictAddressFamilies"][0].split() == ["AF_UNIX", "AF_NETLINK"]
    assert unit["RuntimeDirectoryMode"] == ["0750"]


def test_unit_parses_as_ini():
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.read_string(UNIT.read_text())
    assert {"Unit", "Service", "Install"} <= set(parser.sections())


def test_install_script_is_valid_bash():
    assert subprocess.run(["bash", "-n", str(INSTALL)], timeout=30).returncode == 0
    if shutil.which("shellcheck"):
        result = subprocess.run(["shellcheck", str(INSTALL)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout


def test_the_installer_makes_the_groups_the_unit_names():
    from device.cli.probes import SERVICE_GROUPS

    needed = re.search(r"^GROUPS_NEEDED=\(([^)]*)\)", INSTALL.read_text(), flags=re.M)
    assert needed and needed[1].split() == settings()["SupplementaryGroups"][0].split()
    assert set(SERVICE_GROUPS) == set(needed[1].split())


def test_install_test_script_is_valid_bash():
    script = ROOT / "scripts" / "test-install.sh"
    assert subprocess.run(["bash", "-n", str(script)], timeout=30).returncode == 0
