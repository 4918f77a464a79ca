"""massage-timer update and uninstall, on an install laid out under a temporary root."""

from __future__ import annotations

import argparse

import pytest

from device.cli import system
from device.cli.system import CACHE, ETC, LINK, PREFIX, STATE, UNIT, WANTS, Layout
from device.exc import MassageTimerError


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """What install-pi.sh leaves behind, under tmp_path; the test runs as root."""
    monkeypatch.setattr(system.os, "geteuid", lambda: 0)
    layout = Layout(tmp_path)
    for folder in (PREFIX + "/venv/bin", ETC + "/routines", STATE, CACHE, "usr/local/bin"):
        layout(folder).mkdir(parents=True)
    (layout(PREFIX) / "venv/bin/massage-timer").write_text("#!/bin/sh\n")
    layout(LINK).symlink_to(layout(PREFIX) / "venv/bin/massage-timer")
    layout(UNIT).parent.mkdir(parents=True)
    layout(UNIT).write_text(
        "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n"
    )
    layout(WANTS).parent.mkdir(parents=True)
    layout(WANTS).symlink_to(layout(UNIT))
    (layout(ETC) / "routines/mine.toml").write_text('title = "Mine"\n')
    (layout(STATE) / "history.jsonl").write_text("{}\n")
    return layout


def _args(**values) -> argparse.Namespace:
    return argparse.Namespace(purge=False, **values)


def test_uninstall_keeps_routines_config_and_history(installed, capsys):
    assert system.run_uninstall(_args(), installed) == 0
    for gone in (LINK, UNIT, WANTS, PREFIX, CACHE):
        assert not installed(gone).exists() and not installed(gone).is_symlink(), gone
    assert (installed(ETC) / "routines/mine.toml").exists()
    assert (installed(STATE) / "history.jsonl").exists()
    assert "--purge removes them" in capsys.readouterr().out


def test_uninstall_purge_removes_them_too(installed):
    assert system.run_uninstall(argparse.Namespace(purge=True), installed) == 0
    assert not installed(ETC).exists() and not installed(STATE).exists()


def test_update_reruns_the_installer_of_the_recorded_checkout(installed, tmp_path):
    checkout = tmp_path / "checkout"
    (checkout / "scripts").mkdir(parents=True)
    installer = checkout / "scripts/install-pi.sh"
    installer.write_text(f"#!/bin/sh\necho ran > {tmp_path / 'marker'}\n")
    installer.chmod(0o755)
    (installed(PREFIX) / "source").write_text(f"{checkout}\n")
    assert system.run_update(_args(), installed) == 0
    assert (tmp_path / "marker").read_text() == "ran\n"
    installer.write_text("#!/bin/sh\nexit 3\n")
    with pytest.raises(MassageTimerError, match=r"install-pi.sh failed \(exit 3\)"):
        system.run_update(_args(), installed)


def test_update_without_a_recorded_checkout_says_why(installed):
    with pytest.raises(MassageTimerError, match=r"not installed with scripts/install-pi\.sh"):
        system.run_update(_args(), installed)


def test_both_need_root(installed, monkeypatch):
    monkeypatch.setattr(system.os, "geteuid", lambda: 1000)
    for command in (system.run_update, system.run_uninstall):
        with pytest.raises(MassageTimerError, match="run it with sudo"):
            command(_args(), installed)
    assert installed(PREFIX).exists()
