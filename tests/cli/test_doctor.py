"""massage-timer doctor and audio-devices, through the real CLI entry point."""

from __future__ import annotations

from device.cli import probes
from device.cli.doctor import effective_config
from device.cli.main import main
from device.config.loading import load_forgiving

BROKEN = 'title = "Broken"\n[[step]]\nname = "x"\nduration = "soon"\n'


def _config(tmp_path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_effective_config_names_the_line_each_value_came_from(tmp_path):
    path = _config(tmp_path, "# mine\n[voice]\nrate = 140\n\n[audio]\nbuffer = 512\n")
    config, _ = load_forgiving(path)
    shown = effective_config(config)
    assert f"voice.rate = 140  {path}:3" in shown
    assert f"audio.buffer = 512  {path}:6" in shown
    assert len(shown) == 3  # the two set keys and a note on the rest
    every = effective_config(config, every_key=True)
    assert "voice.voice = 'en'  default" in every and f"voice.rate = 140  {path}:3" in every


def test_doctor_reports_each_problem_with_its_fix_and_exits_1(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(probes, "INSTALLED_UNIT", tmp_path / "no-unit")
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "mock")
    routines = tmp_path / "routines"
    routines.mkdir()
    (routines / "broken.toml").write_text(BROKEN)
    text = "[audio]\nenabled = false\n[display]\nenabled = false\n[buttons]\nplay = 5\n"
    config = _config(tmp_path, text)
    assert main(["--config", str(config), "--routines", str(routines), "doctor"]) == 1
    out = capsys.readouterr().out
    assert "ok  buttons   pin factory Mock; play GPIO5 up; next GPIO27 up; repeat GPIO22 up" in out
    assert "ok  audio     disabled in the config" in out
    assert f"FIX routines  {routines / 'broken.toml'}:4: " in out
    assert "-> edit it; `massage-timer check` retells" in out
    assert f"buttons.play = 5  {config}:6" in out


def test_doctor_looks_with_the_service_environment(tmp_path, monkeypatch):
    unit = tmp_path / "massage-timer.service"
    unit.write_text("[Service]\nExecStart=/x run\nEnvironment=SDL_AUDIODRIVER=alsa\n"
                    "Environment=XDG_STATE_HOME=/var/lib\n# Environment=NOT=this\n")  # fmt: skip
    assert probes.service_environment(unit) == {
        "SDL_AUDIODRIVER": "alsa",
        "XDG_STATE_HOME": "/var/lib",
    }
    assert probes.service_environment(tmp_path / "missing") == {}


def test_audio_devices_lists_the_outputs_and_marks_the_configured_one(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("SDL_AUDIODRIVER", "disk")
    config = _config(tmp_path, '[audio]\ndevice = "System audio output device"\n')
    assert main(["--config", str(config), "audio-devices"]) == 0
    assert capsys.readouterr().out == "* System audio output device\n"


def test_doctor_names_the_panel_power_control_or_its_absence(tmp_path, monkeypatch):
    from device.display import panel

    monkeypatch.setattr(panel, "BACKLIGHTS", tmp_path / "backlight")
    monkeypatch.setenv("PATH", str(tmp_path))  # no vcgencmd, no wlr-randr
    assert probes.panel_power("auto") == probes.Finding(
        "panel", "no power control found: dark is drawn black (see hardware.md)"
    )
    assert probes.panel_power("vcgencmd").fix  # asked for, and missing: a problem
    (tmp_path / "backlight/rpi_backlight").mkdir(parents=True)
    (tmp_path / "backlight/rpi_backlight/bl_power").write_text("0")
    assert probes.panel_power("auto").text == "switched off while dark by backlight rpi_backlight"
