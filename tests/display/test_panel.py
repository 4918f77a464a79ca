"""Panel power: the real controls against fakes of the system's tools and sysfs."""

from __future__ import annotations

import dataclasses
import logging
import os

import pytest

from device.config.schema import Config, DisplayConfig
from device.core.view import IdleView
from device.display import panel
from device.display import screen as screen_module
from device.display.panel import (
    FINDERS,
    Backlight,
    FramebufferBlank,
    Vcgencmd,
    WlrRandr,
    find_panel,
)
from device.display.screen import Screen

AWAKE, DARK = IdleView(awake=True, routine_title="Demo"), IdleView(awake=False)


@pytest.fixture
def backlight(tmp_path, monkeypatch):
    """A fake /sys/class/backlight with one panel, switched on."""
    folder = tmp_path / "backlight"
    (folder / "10-0045").mkdir(parents=True)
    (folder / "10-0045" / "bl_power").write_text("0\n")
    monkeypatch.setattr(panel, "BACKLIGHTS", folder)
    return folder / "10-0045" / "bl_power"


@pytest.fixture
def tools(tmp_path, monkeypatch):
    """A folder first on PATH for fake commands, each logging its arguments to calls.log."""
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)

    def make(name: str, answer: str = "") -> None:
        script = folder / name
        script.write_text(
            f'#!/bin/sh\necho "{name} $*" >> {tmp_path / "calls.log"}\n'
            f"[ $# -eq 0 ] || [ \"$*\" = display_power ] && printf '%b' '{answer}'\nexit 0\n"
        )
        script.chmod(0o755)

    make.calls = lambda: (tmp_path / "calls.log").read_text().splitlines()  # type: ignore[attr-defined]
    return make


def test_the_backlight_is_powered_down_and_up(backlight):
    found = Backlight.find()
    assert found is not None and found.name == "backlight 10-0045"
    found.off()
    assert backlight.read_text() == "4"
    found.on()
    assert backlight.read_text() == "0"


def test_no_backlight_no_control(tmp_path, monkeypatch):
    monkeypatch.setattr(panel, "BACKLIGHTS", tmp_path / "none")
    assert Backlight.find() is None


def test_vcgencmd_switches_hdmi_where_the_firmware_drives_it(tools):
    tools("vcgencmd", "display_power=1")
    found = Vcgencmd.find()
    assert found is not None
    found.off()
    found.on()
    assert tools.calls() == [
        "vcgencmd display_power",
        "vcgencmd display_power 0",
        "vcgencmd display_power 1",
    ]


def test_vcgencmd_under_kms_is_not_used(tools):
    tools("vcgencmd", "error=2 error_msg=Invalid arguments")
    assert Vcgencmd.find() is None


def test_wlr_randr_switches_every_output_of_the_desktop(tools, monkeypatch):
    listing = 'HDMI-A-1 "Dell Inc. P2419H"\\n  Enabled: yes\\nDSI-1 "(null)"\\n  Enabled: yes\\n'
    tools("wlr-randr", listing)
    assert WlrRandr.find() is None  # no Wayland session
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-1")
    found = WlrRandr.find()
    assert found is not None and found.outputs == ["HDMI-A-1", "DSI-1"]
    found.off()
    assert tools.calls()[-1] == "wlr-randr --output HDMI-A-1 --off --output DSI-1 --off"


def test_auto_takes_the_first_the_system_has(backlight, tools):
    tools("vcgencmd", "display_power=1")
    assert isinstance(find_panel("auto"), Backlight)
    assert isinstance(find_panel("vcgencmd"), Vcgencmd)
    assert find_panel("none") is None
    assert find_panel("wlr-randr") is None  # asked for, but not here


def test_every_choice_in_the_config_is_a_control():
    field = next(f for f in dataclasses.fields(DisplayConfig) if f.name == "panel_power")
    choices = field.metadata["config kind"].choices
    assert choices == ("auto", "framebuffer", *FINDERS, "none")


def _screen(switch) -> Screen:
    screen = Screen(Config().replaced(display={"width": 160, "height": 120}))
    screen.start()
    assert screen.panel is None  # SDL's dummy driver: no real panel is ever touched
    screen.panel = Backlight(switch)
    return screen


def test_the_screen_switches_the_panel_off_when_dark_and_on_when_woken(backlight):
    screen = _screen(backlight)
    try:
        screen.show(AWAKE, 0.0)
        assert backlight.read_text() == "0"
        screen.show(DARK, 60.0)
        assert backlight.read_text() == "4"
        backlight.write_text("untouched")
        screen.show(DARK, 61.0)  # once per change, not per frame
        assert backlight.read_text() == "untouched"
        screen.show(AWAKE, 62.0)
        assert backlight.read_text() == "0"
    finally:
        screen.stop()


def test_a_panel_control_that_fails_is_dropped_and_the_screen_draws_black(backlight, caplog):
    screen = _screen(backlight)
    try:
        screen.show(AWAKE, 0.0)
        backlight.unlink()
        backlight.parent.rmdir()  # the panel's driver went away
        with caplog.at_level(logging.WARNING):
            screen.show(DARK, 60.0)
            screen.show(AWAKE, 61.0)
        assert screen.panel is None and screen.enabled
        assert len([r for r in caplog.records if "panel power" in r.message]) == 1
    finally:
        screen.stop()


def test_without_kmsdrm_the_bare_console_draws_to_the_framebuffer(tmp_path, monkeypatch):
    """PyPI's pygame has no kmsdrm driver; the service then falls back to /dev/fb0."""
    console = tmp_path / "fb0"
    monkeypatch.setattr(screen_module, "CONSOLE_FRAMEBUFFER", str(console))
    monkeypatch.setenv("SDL_VIDEODRIVER", "kmsdrm")
    console.touch()
    screen = Screen(Config().replaced(display={"width": 64, "height": 48}))
    screen.start()
    try:
        if screen.window is not None:  # an SDL with kmsdrm found a real display: not ours
            pytest.skip("this SDL has a kmsdrm driver")
        assert screen.sink is not None and screen.sink.path == str(console)
        assert screen.panel is None  # a plain file, not a framebuffer device
        screen.show(AWAKE, 0.0)
        assert len(console.read_bytes()) == 64 * 48 * 2
    finally:
        screen.stop()


def test_framebuffer_blanking_is_used_only_on_a_device(tmp_path):
    with open(tmp_path / "fb", "wb") as plain:
        assert FramebufferBlank.find(plain.fileno(), "fb") is None
    with open("/dev/null", "wb") as device:  # a character device, though not a framebuffer
        blank = FramebufferBlank.find(device.fileno(), "/dev/null")
        assert blank is not None and blank.name == "FBIOBLANK on /dev/null"
        with pytest.raises(OSError):  # ENOTTY: the screen would drop it and draw black
            blank.off()
