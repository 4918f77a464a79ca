"""The config schema: defaults, every problem collected, "did you mean", pin clashes."""

from __future__ import annotations

import dataclasses

import pytest

from device.config.loading import check_pins, load_checked, load_config, load_forgiving
from device.config.paths import find_config
from device.config.schema import SCHEMA, Config
from device.config.types import Duration, Integer
from device.exc import InvalidFileError
from tests.core_helpers import write


def problems(tmp_path, text: str) -> list[str]:
    path = write(tmp_path, "config.toml", text)
    with pytest.raises(InvalidFileError) as caught:
        load_checked(path)
    return [str(p).removeprefix(f"{path}:") for p in caught.value.problems]


def test_defaults_fill_every_key():
    config = Config()
    assert {f.name for f in dataclasses.fields(config)} == {*SCHEMA, "path"}
    for section, keys in SCHEMA.items():
        values = dataclasses.asdict(getattr(config, section))
        assert values == {name: key.default for name, key in keys.items()}
        assert all(key.help for key in keys.values())
    assert config.buttons.play == 17
    assert config.buttons.next == 27
    assert config.buttons.repeat == 22
    assert config.voice.rate == 150
    assert config.display.wake == 60.0
    assert load_config(None) == config
    assert check_pins(config) == []


def test_every_default_passes_its_own_schema(tmp_path):
    """Writing each default back as a file must load unchanged."""
    lines = []
    for section, keys in SCHEMA.items():
        lines.append(f"[{section}]")
        lines += [f"{name} = {key.toml(key.default)}" for name, key in keys.items()]
    config = load_checked(write(tmp_path, "config.toml", "\n".join(lines) + "\n"))
    assert config == Config()
    assert config.path.endswith("config.toml")


def test_values_are_read_and_converted(tmp_path):
    text = """
[voice]
rate = 120
volume = 1
[buttons]
hold = "1.5s"
bounce = 0.02
[display]
rotation = 180
wake = "2m"
"""
    config = load_checked(write(tmp_path, "config.toml", text))
    assert config.voice.rate == 120
    assert config.voice.volume == 1.0 and isinstance(config.voice.volume, float)
    assert config.buttons.hold == 1.5
    assert config.buttons.bounce == 0.02
    assert config.display.rotation == "180"
    assert config.display.wake == 120.0
    assert config.audio.enabled is True  # untouched keys keep their defaults


def test_every_type_error_is_collected(tmp_path):
    text = """[voice]
rate = "fast"
volume = true
voice = 3

[audio]
enabled = "yes"
buffer = 2.5

[display]
rotation = 45
wake = "forever"

[buttons]
hold = "10s"
bounce = "2s"
play = 40
"""
    assert problems(tmp_path, text) == [  # all of them, in line order
        '2: voice.rate: must be a whole number, not "fast"',
        "3: voice.volume: must be a number, not true",
        "4: voice.voice: must be text in quotes, not 3",
        '7: audio.enabled: must be true or false, not "yes"',
        "8: audio.buffer: must be a whole number, not 2.5",
        "11: display.rotation: must be one of '0', '90', '180', '270', not \"45\"",
        '12: display.wake: must be a duration like "45s", "1m30s" or 90, not "forever"',
        '15: buttons.hold: must be 0.3s to 5s, not "10s"',
        '16: buttons.bounce: must be 0s to 0.5s, not "2s"',
        "17: buttons.play: must be 2 to 27, not 40",
    ]


def test_unknown_keys_and_sections_suggest_the_right_one(tmp_path):
    text = "[voise]\nrate = 100\n\n[voice]\nvolum = 0.5\nspeed = 200\n"
    assert problems(tmp_path, text) == [
        "1: voise: unknown key; did you mean 'voice'?",
        "5: voice.volum: unknown key; did you mean 'volume'?",
        "6: voice.speed: unknown key; known keys: voice, rate, volume, quiet_hours, quiet_volume,"
        " engine, piper_voice, piper_pace, piper_level, piper_threads",
    ]


def test_a_section_that_is_not_a_table(tmp_path):
    assert problems(tmp_path, "voice = 3\n") == ["1: voice: must be a table, not 3"]


def test_duplicate_pins_are_caught(tmp_path):
    text = "[buttons]\nnext = 17\n\n[led]\nenabled = true\npin = 22\n\n[motion]\npin = 22\n"
    assert problems(tmp_path, text) == [
        "1: buttons.next: GPIO17 is already used by buttons.play",
        "1: led.pin: GPIO22 is already used by buttons.repeat",
    ]  # the motion sensor is disabled, so its pin clashes with nothing


def test_range_errors_keep_the_default(tmp_path):
    path = write(tmp_path, "config.toml", "[voice]\nvolume = 1.5\n")
    with pytest.raises(InvalidFileError, match=r"voice.volume: must be 0 to 1, not 1.5"):
        load_config(path)


def test_find_config_order(tmp_path, monkeypatch):
    monkeypatch.setenv("MASSAGE_TIMER_SYSTEM_CONFIG_DIR", str(tmp_path / "etc"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert find_config(None) is None
    user = write(tmp_path / "xdg" / "massage-timer", "config.toml", "")
    assert find_config(None) == user
    system = write(tmp_path / "etc", "config.toml", "")
    assert find_config(None) == system
    assert str(find_config("/some/where.toml")) == "/some/where.toml"


def test_an_empty_config_file_is_a_problem(tmp_path):
    assert problems(tmp_path, "\n") == ["1: file is empty"]


def test_quiet_hours_must_be_a_span_of_clock_times(tmp_path):
    text = '[voice]\nquiet_hours = "22-7"\n'
    message = 'voice.quiet_hours: must be like "22:00-07:00", not "22-7"'
    assert problems(tmp_path, text) == [f"2: {message}"]
    assert problems(tmp_path, '[voice]\nquiet_hours = "25:00-07:00"\n') == [
        '2: voice.quiet_hours: must be like "22:00-07:00", not "25:00-07:00"'
    ]
    for good in ("22:00-07:00", " 6:30 - 7:45 ", ""):
        path = write(tmp_path, "config.toml", f'[voice]\nquiet_hours = "{good}"\n')
        assert load_checked(path).voice.quiet_hours == good


def test_the_forgiving_reader_keeps_good_keys_and_defaults_the_bad_ones(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[voice]\nrate = "fast"\nvolume = 0.5\n\n[buttons]\nnext = 17\n')
    config, problems = load_forgiving(path)
    assert config.voice.rate == 150 and config.voice.volume == 0.5
    assert [p.where for p in problems] == ["voice.rate", "buttons.next"]  # and the pin clash


def test_the_forgiving_reader_survives_a_file_that_is_not_toml(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[voice\nrate = 100\n")
    config, problems = load_forgiving(path)
    assert config == Config() and "TOML syntax error" in problems[0].message


def test_single_button_mode_frees_the_next_and_repeat_pins():
    config = Config().replaced(led={"enabled": True, "pin": 27})  # NEXT's usual pin
    assert [p.where for p in check_pins(config)] == ["led.pin"]
    assert check_pins(config.replaced(buttons={"single_button": True})) == []


def test_the_value_types_parse_and_refuse_by_themselves():
    rate = Integer(150, "words per minute", 80, 300)
    assert rate.parse(120) == 120 and rate.toml(150) == "150"
    with pytest.raises(ValueError, match="must be 80 to 300, not 400"):
        rate.parse(400)
    with pytest.raises(ValueError, match="must be a whole number, not true"):
        rate.parse(True)
    hold = Duration(1.0, "seconds that make a press a hold", 0.3, 5)
    assert hold.parse("1.5s") == 1.5 and hold.parse(2) == 2.0 and hold.toml(1.5) == '"1.5s"'
    with pytest.raises(ValueError, match=r'must be 0\.3s to 5s, not "1m"'):
        hold.parse("1m")


def test_a_changed_copy_checks_each_value_and_leaves_the_original():
    config = Config()
    changed = config.replaced(voice={"rate": 120}, display={"rotation": 90})
    assert (changed.voice.rate, changed.display.rotation) == (120, "90")
    assert config.voice.rate == 150 and config != changed
    with pytest.raises(ValueError, match="must be 80 to 300"):
        config.replaced(voice={"rate": 20})
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.voice.rate = 100  # type: ignore[misc]  # the point: sections are read-only
