"""Shared by the audio tests and the benchmark: configs, the disk-audio clock, onsets.

SDL's ``disk`` audio driver writes what the speaker would play to
``SDL_DISKAUDIOFILE`` as raw PCM (signed 16-bit, interleaved), one buffer at a
time, so the file is a recording we can search for onsets.
"""

from __future__ import annotations

import fcntl
import math
import os
import select
import subprocess
import threading
import time
from array import array
from pathlib import Path

from inotify_simple import INotify, flags

from device.config.schema import Config

FRAME = 0.005  # seconds per analysis frame
LOUD = 500  # |sample| that counts as sound (speech and ducked ticks are far above)


def audio_config(tmp_path: Path, **audio) -> Config:
    """The default config with the speech cache in ``tmp_path`` (never the user's)."""
    return Config().replaced(audio={"cache": str(tmp_path / "speech-cache"), **audio})


def use_disk_audio(monkeypatch, path: Path, delay_ms: int | None = None) -> None:
    """Point SDL's disk driver at ``path``; ``delay_ms`` per buffer speeds it up."""
    monkeypatch.setenv("SDL_AUDIODRIVER", "disk")
    monkeypatch.setenv("SDL_DISKAUDIOFILE", str(path))
    if delay_ms is not None:
        monkeypatch.setenv("SDL_DISKAUDIODELAY", str(delay_ms))


class AudioFileClock:
    """Time as the speaker hears it: seconds of audio written to the disk file so far.

    Close it when done: it keeps an inotify instance (closing one takes the kernel an
    RCU grace period, often 10-30 ms: too slow to do per wait).
    """

    def __init__(self, path: Path, rate: int, channels: int = 2) -> None:
        self.path, self.bytes_per_second = path, rate * channels * 2
        self._notify: INotify | None = None

    def now(self) -> float:
        try:
            return os.path.getsize(self.path) / self.bytes_per_second
        except FileNotFoundError:
            return 0.0

    def wait_until(self, moment: float, timeout: float = 10.0) -> float:
        """Block until ``moment`` seconds of audio are written; return the clock then.

        The one wait a test cannot avoid: the mixer plays in SDL's own thread. It is
        a wait on the kernel's word (inotify says the file was written), not a sleep,
        and ``timeout`` (wall seconds) turns a stalled mixer into a failure.
        """
        if self._notify is None:
            self._notify = INotify()
            self._notify.add_watch(self.path, flags.MODIFY)
        give_up = time.monotonic() + timeout
        while (now := self.now()) < moment:
            left = give_up - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"the mixer stopped at {now:.3f} s of audio")
            self._notify.read(timeout=int(left * 1000) + 1)
        return now

    def close(self) -> None:
        if self._notify is not None:
            self._notify.close()


class PacedRecording:
    """SDL's disk driver writing into a pipe that only the test reads: audio time is
    what the test has read, and the mixer stops whenever the test stops reading.

    A loaded machine can stall the test's thread for tens of milliseconds, which at
    the disk driver's ~10x real time is a quarter second of audio: a cue played on time
    by the engine's clock would be heard late. Here the mixer can run ahead of the clock
    only by what the pipe and SDL's stdio buffer hold (~0.1 s at 22050 Hz stereo) however
    long the test stalls. ``finish`` before closing the mixer, which waits for SDL's
    thread, blocked on a full pipe until someone reads it.
    """

    PIPE_BYTES = 4096  # the smallest pipe Linux gives: one page

    def __init__(self, path: Path, rate: int, channels: int = 2) -> None:
        self.path, self.bytes_per_second = path, rate * channels * 2
        self.frame = channels * 2
        self.audio = bytearray()
        os.mkfifo(path)
        # Non-blocking, so SDL's open for writing does not wait for us; poll waits.
        self._fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        fcntl.fcntl(self._fd, fcntl.F_SETPIPE_SZ, self.PIPE_BYTES)
        self._drain: threading.Thread | None = None

    def now(self) -> float:
        return len(self.audio) / self.bytes_per_second

    def wait_until(self, moment: float, timeout: float = 10.0) -> float:
        """Read until ``moment`` seconds of audio have played; return the clock then.
        ``timeout`` (wall seconds) turns a stalled or closed mixer into a failure."""
        give_up = time.monotonic() + timeout
        while (now := self.now()) < moment:  # on the clock itself: float rounding never spins
            frames = math.ceil((moment - now) * self.bytes_per_second / self.frame)
            left = give_up - time.monotonic()
            if left <= 0 or not self._read(max(1, frames) * self.frame, left):
                raise TimeoutError(f"the mixer stopped at {now:.3f} s of audio")
        return now

    def _read(self, most: int, timeout: float) -> bool:
        """Read up to ``most`` bytes once some are there; False if the mixer closed."""
        poller = select.poll()
        poller.register(self._fd, select.POLLIN)
        if not poller.poll(int(timeout * 1000) + 1):
            return True  # nothing yet: the caller checks its timeout
        try:
            chunk = os.read(self._fd, most)
        except BlockingIOError:
            return True
        self.audio += chunk
        return bool(chunk)

    def finish(self) -> None:
        """Read everything from now on, so closing the mixer can end SDL's thread."""
        self._drain = threading.Thread(target=self._read_to_end, daemon=True)
        self._drain.start()

    def _read_to_end(self) -> None:
        while self._read(1 << 16, 10.0):
            pass

    def close(self) -> None:
        """After the mixer closed: the recording is whole."""
        if self._drain is not None:
            self._drain.join(timeout=10)
            assert not self._drain.is_alive(), "the mixer never closed its file"
        os.close(self._fd)


def _frames(raw: bytes, rate: int, channels: int):
    """(start s, first loud sample offset s or None) for each FRAME of the left channel."""
    left = array("h", raw[: len(raw) // 2 * 2])[::channels]
    size = max(1, int(FRAME * rate))
    for start in range(0, len(left), size):
        frame = left[start : start + size]
        first = next((i for i, v in enumerate(frame) if abs(v) >= LOUD), None)
        yield start / rate, None if first is None else first / rate


def onsets(raw: bytes, rate: int, channels: int = 2, gap: float = 0.25) -> list[float]:
    """Seconds at which sound starts after at least ``gap`` seconds of quiet.

    ``gap`` must be longer than any pause inside one phrase, or a phrase counts twice:
    espeak-ng pauses 0.3-0.55 s between sentences at 150 words a minute, so recordings
    read with the default keep to one sentence per phrase (see ``longest_pause``).
    """
    found, quiet, step = [], gap, max(1, int(FRAME * rate)) / rate
    for start, first in _frames(raw, rate, channels):
        if first is not None and quiet >= gap:
            found.append(start + first)
        quiet = 0.0 if first is not None else quiet + step
    return found


def longest_pause(raw: bytes, rate: int, channels: int = 1) -> float:
    """The longest quiet stretch between two sounds in ``raw`` (seconds, to a FRAME)."""
    longest = quiet = 0.0
    for _, first in _frames(raw, rate, channels):
        if first is not None:
            longest, quiet = max(longest, quiet), 0.0
        else:
            quiet += max(1, int(FRAME * rate)) / rate
    return longest


def groups(times: list[float], within: float = 0.15) -> list[float]:
    """Planned instants merged when closer than ``within`` (they sound as one onset)."""
    merged: list[float] = []
    for t in sorted(times):
        if not merged or t - merged[-1] > within:
            merged.append(t)
    return merged


def match(
    planned: list[float], heard: list[float], within: float = 0.25
) -> tuple[list[tuple[float, float]], list[float], list[float]]:
    """Pair each heard onset with its nearest planned cue, one to one, closest pairs first.

    Returns (planned, heard) pairs in time order, the planned cues nobody heard, and
    the onsets no cue explains; a pair further apart than ``within`` seconds is none.
    """
    candidates = sorted(
        (abs(h - p), i, j)
        for i, p in enumerate(planned)
        for j, h in enumerate(heard)
        if abs(h - p) <= within
    )
    used_p, used_h, pairs = set(), set(), []
    for _, i, j in candidates:
        if i not in used_p and j not in used_h:
            used_p.add(i)
            used_h.add(j)
            pairs.append((planned[i], heard[j]))
    missed = [p for i, p in enumerate(planned) if i not in used_p]
    extra = [h for j, h in enumerate(heard) if j not in used_h]
    return sorted(pairs), missed, extra


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
# Planned onsets (audio seconds from START): intro + chime + "Cheeks." at 0 (the
# instruction follows the intro), then each clock starts once its instruction is said:
# "one", "two" 2 s later, a beep, chime + "Brow.", ticks 1 s and 2 s into its clock, a
# beep, bell + "Done.": 9 groups.


def play_on_audio_clock(session, speaker, clock: PacedRecording) -> list:
    """The daemon's loop over the real mixer, from START until the bell has rung out:
    it waits on the audio clock for the next deadline (the session's or the speech
    queue's), then hands the actions to the speaker, which pumps. Returns every Say and
    Sound handed over. SDL's disk driver runs ~10x real time (1 ms per 11.6 ms buffer)
    and the clock is the audio read so far (see PacedRecording), so plan and recording
    share one scale, which stops while this loop is busy."""
    from device.core.session import Command, Say, Sound, State

    handed = []
    now = clock.now()
    actions = session.handle(Command.START, now)
    while True:
        handed += [a for a in actions if isinstance(a, Say | Sound)]
        speaker.perform(actions, now)  # and pumps: a waiting phrase starts if it can
        if session.state is State.DONE:
            clock.wait_until(now + 1.0)  # the bell rings out
            return handed
        speech = speaker.queue.wake_in(now)
        deadline = min(session.next_deadline(), now + (speech if speech is not None else 60))
        now = clock.wait_until(deadline)
        actions = session.handle(Command.TICK, now)


def espeak_cli_length(folder: Path, text: str, voice: str, rate: int) -> float:
    """Seconds ``text`` lasts when the espeak-ng command line says it at ``rate``,
    trimmed as the speech cache trims: the reference a rendered phrase must match."""
    from device.audio.speech import _seconds, _trim

    path = folder / f"reference-{rate}.wav"
    command = ["espeak-ng", "-v", voice, "-s", str(rate), "-w", str(path), text]
    subprocess.run(command, check=True, capture_output=True, timeout=30)
    _trim(path)
    seconds = _seconds(path)
    assert seconds, f"espeak-ng rendered nothing for {text!r}"
    return seconds
