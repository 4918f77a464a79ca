"""Every config key, in one place: a frozen dataclass per section of config.toml.

To add a key, add one line to its section below: the field's name is the key,
its type annotation what the code reads, and ``setting(...)`` its kind, default
and help (the README's config table is checked against these by tests/test_docs.py).
The code reads ``config.voice.rate``; loading.py fills it from the file.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, get_type_hints

from device.config.types import (
    Boolean,
    Choice,
    ConfigValue,
    Duration,
    Integer,
    Number,
    Pin,
    Span,
    Text,
)
from device.core.gestures import BUTTONS

T = TypeVar("T")
_KIND = "config kind"  # the dataclass field metadata that holds the key's ConfigValue


def setting(kind: ConfigValue[T]) -> T:
    """A section field whose default, parsing and help come from ``kind``."""
    return field(default=kind.default, metadata={_KIND: kind})


@dataclass(frozen=True)
class RoutinesConfig:
    folder: str = setting(Text("", "routines folder; empty means the bundled routines/"))
    selected: str = setting(Text("demo", "routine selected at start-up"))
    program: str = setting(Text("", "program to follow (a file in routines/programs), or empty"))
    program_start: str = setting(Text("", "first day of the program, YYYY-MM-DD"))


@dataclass(frozen=True)
class VoiceConfig:
    voice: str = setting(Text("en", "espeak-ng voice (see `massage-timer voices`)"))
    rate: int = setting(Integer(150, "words per minute", 80, 300))
    volume: float = setting(Number(0.8, "speech volume, 0 to 1", 0, 1))
    quiet_hours: str = setting(Span("", 'lower volume between these times, e.g. "22:00-07:00"'))
    quiet_volume: float = setting(Number(0.4, "speech and sound volume during quiet hours", 0, 1))
    engine: str = setting(
        Choice(
            "espeak",
            "espeak, or piper: a natural voice rendered in the background",
            choices=("espeak", "piper"),
        )
    )
    piper_voice: str = setting(
        Text("", "piper .onnx voice file; empty: the bundled en_US-joe-medium")
    )
    piper_pace: float = setting(Number(1.25, "piper length scale: above 1 is slower", 0.5, 3))
    piper_level: float = setting(Number(0.7, "peak piper renders at, 0.1 to 1 (0 dBFS)", 0.1, 1))
    piper_threads: int = setting(Integer(1, "threads a piper render may use", 1, 8))


@dataclass(frozen=True)
class AudioConfig:
    enabled: bool = setting(Boolean(True, "false runs display-only"))
    device: str = setting(
        Text("", "output by name (`massage-timer audio-devices`); empty: default")
    )
    idle_close: float = setting(
        Duration(5.0, "quiet seconds before the output closes; 0: never (Bluetooth)", 0, 3600)
    )
    frequency: int = setting(Integer(22050, "mixer sample rate, Hz", 8000, 48000))
    buffer: int = setting(Integer(256, "mixer buffer, samples; 512 if sound crackles", 128, 4096))
    effects_volume: float = setting(Number(0.6, "chimes, ticks and beeps, 0 to 1", 0, 1))
    sounds: str = setting(Text("", "folder of extra .wav/.ogg files routines may name"))
    cache: str = setting(Text("", "speech cache folder; empty means the user cache folder"))
    cache_mb: int = setting(Integer(200, "speech cache size limit, MB", 5, 5000))


@dataclass(frozen=True)
class ButtonsConfig:
    play: int = setting(Pin(17, "PLAY button, BCM number"))
    next: int = setting(Pin(27, "NEXT button, BCM number"))
    repeat: int = setting(Pin(22, "REPEAT button, BCM number"))
    hold: float = setting(Duration(1.0, "seconds that make a press a hold", 0.3, 5))
    bounce: float = setting(Duration(0.05, "debounce time, seconds", 0, 0.5))
    double: float = setting(Duration(0.4, "double-press window in single-button mode", 0.1, 1.5))
    single_button: bool = setting(Boolean(False, "one button: press, double-press, hold"))

    def pins(self) -> dict[str, int]:
        """Each button's pin, by name."""
        return {"play": self.play, "next": self.next, "repeat": self.repeat}

    def in_use(self) -> dict[str, int]:
        """The buttons in use and their pins: PLAY alone in single-button mode."""
        pins = self.pins()
        return {name: pins[name] for name in (["play"] if self.single_button else BUTTONS)}


@dataclass(frozen=True)
class MotionConfig:
    enabled: bool = setting(Boolean(False, "PIR motion sensor wakes the screen"))
    pin: int = setting(Pin(4, "PIR sensor output, BCM number"))
    pause_after: float = setting(Duration(0.0, "pause when nobody is near; 0 = never", 0, 3600))
    reminder: str = setting(
        Span("", 'show that today\'s session is to do when someone comes by, e.g. "07:00-09:00"')
    )
    reminder_chime: bool = setting(Boolean(False, "also chime, once a day, for the reminder"))


@dataclass(frozen=True)
class LedConfig:
    enabled: bool = setting(
        Boolean(False, "status LED: steady when running, breathing when paused")
    )
    pin: int = setting(Pin(23, "LED (with resistor), BCM number; 18 is the I2S amp's clock"))


@dataclass(frozen=True)
class DisplayConfig:
    enabled: bool = setting(Boolean(True, "false runs audio-only"))
    width: int = setting(Integer(0, "window width; 0 = the screen's own", 0, 7680))
    height: int = setting(Integer(0, "window height; 0 = the screen's own", 0, 4320))
    rotation: str = setting(Choice("0", "degrees clockwise", choices=("0", "90", "180", "270")))
    mirror_face: bool = setting(Boolean(True, "draw the face map as the user's reflection"))
    wake: float = setting(Duration(60.0, "seconds the idle screen stays lit", 5, 3600))
    framebuffer: str = setting(
        Text("", "write frames to this /dev/fbN (SPI panels) instead of SDL")
    )
    panel_power: str = setting(
        Choice(
            "auto",
            "switch the panel off while the idle screen is dark (see hardware.md)",
            choices=("auto", "framebuffer", "backlight", "vcgencmd", "wlr-randr", "none"),
        )
    )


@dataclass(frozen=True)
class DaemonConfig:
    socket: str = setting(Text("", "control socket; empty: the runtime folder"))
    state: str = setting(Text("", "resume and history folder; empty: user state"))
    resume_window: float = setting(Duration(6 * 3600.0, "offer to resume within", 0, 7 * 86400))


@dataclass(frozen=True)
class Config:
    """The whole config: one attribute per section, every key present (defaults filled in)."""

    routines: RoutinesConfig = field(default_factory=RoutinesConfig)
    voice: VoiceConfig = field(default_factory=VoiceConfig)
    audio: AudioConfig = field(default_factory=AudioConfig)
    buttons: ButtonsConfig = field(default_factory=ButtonsConfig)
    motion: MotionConfig = field(default_factory=MotionConfig)
    led: LedConfig = field(default_factory=LedConfig)
    display: DisplayConfig = field(default_factory=DisplayConfig)
    daemon: DaemonConfig = field(default_factory=DaemonConfig)
    path: str = field(default="", compare=False)  # the file it came from; "" for defaults

    def replaced(self, **sections: Mapping[str, Any]) -> Config:
        """A copy with some keys changed (``voice={"rate": 120}``), each checked by its kind."""
        changes = {}
        for name, values in sections.items():
            kinds = SCHEMA[name]
            parsed = {key: kinds[key].parse(value) for key, value in values.items()}
            changes[name] = dataclasses.replace(getattr(self, name), **parsed)
        return dataclasses.replace(self, **changes)


def _kinds(section: type) -> dict[str, ConfigValue[Any]]:
    return {f.name: f.metadata[_KIND] for f in dataclasses.fields(section)}


SECTIONS: dict[str, type] = {
    name: kind
    for name, kind in get_type_hints(Config).items()
    if isinstance(kind, type) and dataclasses.is_dataclass(kind)
}
# section -> key -> its kind, in file order: what the loader and the README table follow
SCHEMA: dict[str, dict[str, ConfigValue[Any]]] = {
    name: _kinds(section) for name, section in SECTIONS.items()
}
