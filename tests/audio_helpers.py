"""Shared by the audio tests and the benchmark: configs, the disk-audio clock, onsets.

SDL's ``disk`` audio driver writes what the speaker would play to
``SDL_DISKAUDIOFILE`` as raw PCM (signed 16-bit, interleaved), one buffer at a
time, so the file is a recording we can search for onsets.
"""

from __future__ import annotations

import os
from array import array
from pathlib import Path

from device.config import defaults

FRAME = 0.005  # seconds per analysis frame
LOUD = 500  # |sample| that counts as sound (speech and ducked ticks are far above)


def audio_config(tmp_path: Path, **audio) -> dict:
    """The default config with the speech cache in ``tmp_path`` (never the user's)."""
    config = defaults()
    config["audio"]["cache"] = str(tmp_path / "speech-cache")
    config["audio"].update(audio)
    return config


def use_disk_audio(monkeypatch, path: Path, delay_ms: int | None = None) -> None:
    """Point SDL's disk driver at ``path``; ``delay_ms`` per buffer speeds it up."""
    monkeypatch.setenv("SDL_AUDIODRIVER", "disk")
    monkeypatch.setenv("SDL_DISKAUDIOFILE", str(path))
    if delay_ms is not None:
        monkeypatch.setenv("SDL_DISKAUDIODELAY", str(delay_ms))


class AudioFileClock:
    """Time as the speaker hears it: seconds of audio written to the disk file so far."""

    def __init__(self, path: Path, rate: int, channels: int = 2) -> None:
        self.path, self.bytes_per_second = path, rate * channels * 2

    def now(self) -> float:
        try:
            return os.path.getsize(self.path) / self.bytes_per_second
        except FileNotFoundError:
            return 0.0


def onsets(raw: bytes, rate: int, channels: int = 2, gap: float = 0.25) -> list[float]:
    """Seconds at which sound starts after at least ``gap`` seconds of quiet."""
    samples = array("h", raw[: len(raw) // 2 * 2])
    left = samples[::channels]
    size = max(1, int(FRAME * rate))
    found, quiet = [], gap
    for start in range(0, len(left), size):
        frame = left[start : start + size]
        loud = max(frame) >= LOUD or min(frame) <= -LOUD
        if loud and quiet >= gap:
            first = next(i for i, v in enumerate(frame) if abs(v) >= LOUD)
            found.append((start + first) / rate)
        quiet = 0.0 if loud else quiet + size / rate
    return found


def groups(times: list[float], within: float = 0.15) -> list[float]:
    """Planned instants merged when closer than ``within`` (they sound as one onset)."""
    merged: list[float] = []
    for t in sorted(times):
        if not merged or t - merged[-1] > within:
            merged.append(t)
    return merged


ROUTINE_TOML = """
title = "Audio test"
intro = "Test."
finish = "Done."

[defaults]
countdown = 1
warning = "0s"

[[step]]
name = "Cheeks"
say = "Cheeks."
duration = "4s"
reps = 2

[[step]]
name = "Brow"
say = "Brow."
duration = "4s"
tempo = "1s"
"""
# Planned onsets (audio seconds from START): intro + chime + "Cheeks." at 0, "two" at 2,
# beep at 3, chime + "Brow." at 4, ticks at 5 and 6, beep at 7, bell + "Done." at 8.
