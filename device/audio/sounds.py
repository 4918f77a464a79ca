"""The device's own sounds, synthesised in code (no downloaded assets).

Soft sine tones with smooth attacks and exponential decays: pleasant at low
volume and not harsh in a tiled bathroom (no square waves, no partials above
about 3 kHz, peaks well below full scale). Also the rule for extra sound files
a routine may name: they must resolve inside the configured sounds folder.
"""

from __future__ import annotations

import math
from array import array
from functools import cache
from pathlib import Path

BUILT_IN = ("chime", "tick", "beep", "bell", "error", "click")
EXTENSIONS = (".wav", ".ogg")
PEAK = 0.5  # of full scale: headroom, and the mixer's volumes scale from here

# name: [(start s, frequency Hz, amplitude, attack s, decay time-constant s, length s)]
_RECIPES: dict[str, list[tuple[float, float, float, float, float, float]]] = {
    # step start: a warm two-note "ding" (E5 + B5), gone before the next cue a second later
    "chime": [(0.0, 659.3, 0.7, 0.006, 0.14, 0.7), (0.0, 987.8, 0.3, 0.006, 0.09, 0.5)],
    # stroke tempo: a short, dull wood-block knock
    "tick": [(0.0, 1250.0, 0.8, 0.002, 0.012, 0.06), (0.0, 620.0, 0.4, 0.002, 0.018, 0.06)],
    # countdown: a rounded 150 ms tone
    "beep": [(0.0, 880.0, 0.8, 0.008, 1.0, 0.15)],
    # finish: a bell with inharmonic partials and a long tail
    "bell": [
        (0.0, 523.3, 0.6, 0.004, 0.6, 1.8),
        (0.0, 1046.5, 0.25, 0.004, 0.35, 1.2),
        (0.0, 1444.2, 0.15, 0.004, 0.22, 0.9),
        (0.0, 2825.8, 0.05, 0.004, 0.08, 0.4),
    ],
    # something went wrong: two falling tones
    "error": [(0.0, 440.0, 0.7, 0.008, 1.0, 0.14), (0.18, 330.0, 0.7, 0.008, 1.0, 0.2)],
    # button feedback: a tiny, immediate click
    "click": [(0.0, 1800.0, 0.6, 0.001, 0.006, 0.03)],
}
_RELEASE = 0.008  # seconds of fade at each partial's end, so nothing clicks


def samples(name: str, rate: int) -> array:
    """Mono signed 16-bit samples of a built-in sound at ``rate`` Hz."""
    recipe = _RECIPES[name]
    total = max(start + length for start, *_, length in recipe)
    mix = [0.0] * int(total * rate + 1)
    for start, freq, amp, attack, decay, length in recipe:
        _add_partial(mix, rate, int(start * rate), freq, amp, attack, decay, length)
    scale = PEAK * 32767 / max(1e-9, max(abs(v) for v in mix))
    return array("h", (int(v * scale) for v in mix))


def _add_partial(mix, rate, offset, freq, amp, attack, decay, length) -> None:
    count = int(length * rate)
    step = 2 * math.pi * freq / rate
    for i in range(count):
        t = i / rate
        envelope = min(1.0, t / attack) * math.exp(-max(0.0, t - attack) / decay)
        envelope *= min(1.0, (count - i) / (_RELEASE * rate))
        mix[offset + i] += amp * envelope * math.sin(step * i)


@cache  # synthesis takes ~90 ms for all six; the mixer reopens after every idle spell
def pcm(name: str, rate: int, channels: int) -> bytes:
    """Interleaved 16-bit native-endian PCM, ready for ``pygame.mixer.Sound(buffer=...)``.

    Cached per (name, rate, channels): ~280 KB for the six at 22050 Hz stereo."""
    mono = samples(name, rate)
    if channels == 1:
        return mono.tobytes()
    wide = array("h", bytes(len(mono) * 2 * channels))
    for channel in range(channels):
        wide[channel::channels] = mono
    return wide.tobytes()


def resolve_sound(name: str, folder: str | Path) -> Path | None:
    """The file a routine's ``sound = name`` means, or None if it is not allowed.

    Only a .wav/.ogg file that really is inside ``folder`` (after following
    symlinks and ``..``) is accepted, so a routine cannot make the daemon read
    anything else on the system.
    """
    if not folder or not name.lower().endswith(EXTENSIONS):
        return None
    root = Path(folder).resolve()
    path = (root / name).resolve()
    if not path.is_relative_to(root) or path == root or not path.is_file():
        return None
    return path
