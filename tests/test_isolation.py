"""No test reads or writes the machine's files: conftest.machine moves them all here."""

from __future__ import annotations

import os
from pathlib import Path

from device.cli.main import main
from device.config.paths import (
    BUNDLED_ROUTINES,
    SYSTEM_CONFIG_DIR,
    SYSTEM_RUNTIME_DIR,
    cache_folder,
    find_config,
    routines_folder,
    state_folder,
    system_config,
    system_routines,
    system_runtime_folder,
    user_config,
)
from device.daemon.control import socket_path
from tests.conftest import REAL_HOME


def test_home_and_every_xdg_folder_are_this_tests_own(tmp_path, machine):
    home = machine["HOME"]
    assert os.environ["HOME"] != REAL_HOME and home.parent == tmp_path.parent
    assert Path.home() == home and home != tmp_path
    for name in ("CONFIG", "CACHE", "STATE", "DATA"):
        assert Path(os.environ[f"XDG_{name}_HOME"]).is_relative_to(home)
    assert Path(os.environ["XDG_RUNTIME_DIR"]).is_relative_to(home)
    for path in (cache_folder(), state_folder(), user_config(), socket_path(for_client=True)):
        assert path.is_relative_to(home), path


def test_the_system_service_folders_are_this_tests_own(machine):
    for path in (system_config(), system_routines(), system_runtime_folder()):
        assert path.is_relative_to(machine["HOME"]), path
    assert find_config() is None  # whatever /etc/massage-timer holds on this machine
    assert routines_folder(None) == BUNDLED_ROUTINES


def test_the_cli_reads_the_system_config_where_the_environment_says(machine, capsys):
    """The override is what the code reads: a broken "system" config here is found."""
    system = machine[SYSTEM_CONFIG_DIR]
    system.mkdir(parents=True)
    (system / "config.toml").write_text("[voice]\nrate = 9000\n")
    assert main(["check"]) == 1
    assert f"{system / 'config.toml'}:2: voice.rate" in capsys.readouterr().out


def test_without_the_overrides_the_service_keeps_its_real_folders(monkeypatch):
    monkeypatch.delenv(SYSTEM_CONFIG_DIR)
    monkeypatch.delenv(SYSTEM_RUNTIME_DIR)
    assert system_config() == Path("/etc/massage-timer/config.toml")
    assert system_routines() == Path("/etc/massage-timer/routines")
    assert system_runtime_folder() == Path("/run/massage-timer")
