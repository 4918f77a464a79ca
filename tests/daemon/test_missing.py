"""Dead hardware is visible: in ctl status and as a mark on the idle screen."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from gpiozero import Device, DigitalInputDevice

from device.core.view import IdleView
from tests.daemon_helpers import make_rig


def _idle_views(rig) -> list[IdleView]:
    return [view for _, view in rig.output.views if isinstance(view, IdleView)]


def test_buttons_that_cannot_open_are_reported_not_hidden(tmp_path, monkeypatch):
    """What a Pi without lgpio sees: gpiozero finds no pin factory for any button."""
    previous = Device.pin_factory
    Device.pin_factory = None
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "no-such-factory")
    try:
        rig = make_rig(None, tmp_path)
    finally:
        Device.pin_factory = previous
    try:
        missing = rig.loop.status(rig.clock.now())["missing"]
        assert list(missing) == ["buttons"] and "no-such-factory" in missing["buttons"]
        assert _idle_views(rig)[-1].missing == ("buttons",)
    finally:
        rig.close()


def test_one_button_that_cannot_open_is_named(mock_factory, build_rig):
    holder = DigitalInputDevice(27, pin_factory=mock_factory)  # something else holds GPIO27
    try:
        rig = build_rig()
        missing = rig.loop.status(rig.clock.now())["missing"]
        assert list(missing) == ["button 'next' (GPIO27)"] and "in use" in str(missing)
    finally:
        holder.close()


def test_working_hardware_reports_nothing_missing(rig):
    assert rig.loop.status(rig.clock.now())["missing"] == {}
    assert _idle_views(rig)[-1].missing == ()


@pytest.mark.skipif(
    importlib.util.find_spec("lgpio") is not None or Path("/proc/device-tree/model").exists(),
    reason="a board with GPIO: gpiozero's own choice would open real pins",
)
def test_no_lgpio_is_named_as_the_reason(tmp_path, monkeypatch):
    """gpiozero's own choice on a machine without lgpio: its first fallback says why."""
    previous = Device.pin_factory
    Device.pin_factory = None
    monkeypatch.delenv("GPIOZERO_PIN_FACTORY")
    try:
        rig = make_rig(None, tmp_path)
    finally:
        Device.pin_factory = previous
    try:
        reason = rig.loop.status(rig.clock.now())["missing"]["buttons"]
        assert "lgpio" in reason
    finally:
        rig.close()
