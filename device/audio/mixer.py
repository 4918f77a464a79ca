"""The output device under the speaker: pygame.mixer, its channels, losing it and finding it.

Mixer settings for a Pi: 22050 Hz (espeak-ng renders at 22050, so speech is never
resampled), 16-bit stereo (USB and HDMI outputs want two channels), and a buffer of
``[audio] buffer`` samples, 256 by default. The buffer sets how late a cue can be:
a sound started between two mixer callbacks waits for the next one (0 to 11.6 ms at
256, 0 to 23 ms at 512), and the card holds about one more buffer before the DAC.
The price of a small buffer is slack: SDL must refill every buffer-length, and
pygame's audio thread takes Python's GIL whenever a sound ends, so a main thread that
holds the GIL for longer than a buffer makes the output underrun, which crackles.
11.6 ms is the period of pygame 2's own default (512 samples at 44100 Hz), which a Pi
3/4/Zero 2 with an I2S amp or a USB card usually sustains; set 512 if it crackles.

Speech has two channels (one fades while the other starts), effects four (a tick never
cuts a ringing bell), and button clicks one of their own.

An open mixer costs CPU even in silence: SDL's audio thread mixes a buffer of zeros
every 11.6 ms (about 0.45 % of a core at 256 samples). So the speaker puts the mixer
to ``sleep`` when nothing has played for a while between routines, and ``wake`` opens
it again on demand (about a millisecond; the built-in sounds come from cached PCM).
A sleeping mixer is not a lost one: nothing is logged and nothing retries. The price:
closing the device also stops the I2S clock, so a MAX98357A amplifier may pop once at
reopen, which coincides with the button click that woke it; in return the mirror saves
power and CPU for the ~23 hours a day it is idle.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from device.audio.alsa_quiet import silence_alsa
from device.audio.sdl_status import device_running
from device.audio.sounds import BUILT_IN, pcm
from device.clock import Clock
from device.once import Once

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame

log = logging.getLogger(__name__)

CHANNELS = 2
RETRY_EVERY = 10.0  # seconds between attempts to reopen a missing audio device
CHECK_EVERY = 2.0  # seconds between checks that the device is still there
# In a routine a lost device is tried again at every check: sound is back within
# CHECK_EVERY of the sound server's return.
RETRY_IN_ROUTINE = 1.0
FADE_MS = 30  # how fast a cut phrase fades, so it does not click
# Seconds of quiet between routines before the device closes: long enough that choosing
# a routine and pressing play keep it open, short enough that an idle mirror soon stops
# paying SDL's silent mixing (~0.45 % of a core at a 256-sample buffer).
IDLE_CLOSE = 5.0


@dataclass(frozen=True)
class Output:
    """Which output to open (``""``: SDL's default) and how long it may stay quiet open
    between routines before it closes (0: never, for Bluetooth and USB sinks that fall
    asleep when the stream stops and then swallow the first word of the next phrase)."""

    device: str = ""
    idle_close: float = IDLE_CLOSE


VOICES, EFFECTS, CLICK = (0, 1), (2, 3, 4, 5), 6  # channel numbers


class Mixer:
    """pygame.mixer on the default output device: open, watched, lost and reopened.

    Every call that touches the device goes through ``guard``: a pygame error means
    the device went away, so the mixer closes, says so once, and retries later.
    ``on_close`` runs whenever the mixer closes (loaded sounds die with it).
    """

    def __init__(
        self,
        frequency: int,
        buffer: int,
        clock: Clock,
        devices: Callable[[], list[str]] | None = None,
        on_close: Callable[[], None] = lambda: None,
        once: Once | None = None,
        output: Output | None = None,
    ) -> None:
        self.frequency, self.buffer, self.clock = frequency, buffer, clock
        self.output = output or Output()
        silence_alsa()  # our one log line replaces libasound's five on every retry
        self.devices = devices or _device_names
        self.device_running: Callable[[], bool | None] = device_running  # SDL, via ctypes
        self.on_close, self.once = on_close, once or Once(log)
        self.open = False
        self.asleep = False  # closed on purpose: no checks, no retries until ``wake``
        self.sounds: dict[str, pygame.mixer.Sound] = {}  # the built-in sounds
        self.retry_at = self.check_at = 0.0
        self.quiet_since: float | None = None  # when the last routine ended (None: one is on)
        self.sound_until = float("-inf")  # when the last sound started ends
        self._voice = VOICES[0]
        self._next_fx = 0

    def reopen(self, now: float) -> None:
        """Open the device and make the built-in sounds at its rate (or say once why not)."""
        self.retry_at = now + RETRY_EVERY
        self.asleep = False
        try:
            pygame.mixer.pre_init(self.frequency, -16, CHANNELS, self.buffer)
            pygame.mixer.init(devicename=self.output.device or None)
            rate, _, channels = pygame.mixer.get_init()
            pygame.mixer.set_num_channels(CLICK + 2)
            pygame.mixer.set_reserved(CLICK + 2)  # nothing else grabs our channels
            self.sounds = {n: pygame.mixer.Sound(buffer=pcm(n, rate, channels)) for n in BUILT_IN}
        except pygame.error as error:
            self.close()
            if self.quiet_since is None:  # in a routine: look again at every check
                self.retry_at = now + RETRY_IN_ROUTINE
            self.once.warn("device", f"no audio device ({error}): display only, retrying")
            return
        self.open = True
        if self.once.forget("device", "lost"):  # a later loss is logged again, once
            log.info("audio device is back")

    # -- sleeping between routines ---------------------------------------------

    def routine(self, on: bool, now: float) -> None:
        """A routine is on (never sleep), or none is: the quiet spell starts now."""
        if on:
            self.quiet_since = None
        elif self.quiet_since is None:
            self.quiet_since = now

    def settle(self, now: float, speaking: bool) -> float | None:
        """Sleep once quiet for IDLE_CLOSE between routines; else when to look again."""
        if self.quiet_since is None or not self.open or not self.output.idle_close:
            return None
        close_at = max(self.quiet_since, self.sound_until) + self.output.idle_close
        if now < close_at:
            return close_at
        if speaking or self.guard(pygame.mixer.get_busy):
            return (
                now + self.output.idle_close
            )  # playing past its length (a clock skew): look later
        self.sleep()
        return None

    def sleep(self) -> None:
        """Close the device on purpose (nothing to play for a while): no warning, no retry."""
        if self.open:
            self.close()
            self.asleep = True
            log.debug("audio device closed while idle")

    def wake(self, now: float) -> bool:
        """Reopen a sleeping device (a missing one is left to the retries); True if open."""
        if self.asleep:
            self.reopen(now)
            self.sound_until = max(self.sound_until, now)
        return self.open

    def check(self, now: float) -> None:
        """Every CHECK_EVERY seconds: notice a vanished device, or retry a missing one."""
        if self.asleep or now < self.check_at:
            return
        self.check_at = now + CHECK_EVERY
        present = self._present()
        if self.open and present is False:
            self.lost("the audio device disappeared")
        elif self.open and self.running() is False:
            self.lost("the sound server or the device stopped")
        elif not self.open and now >= self.retry_at and present is not False:
            self.reopen(now)

    def guard(self, call: Callable):
        """Run a mixer call; a mixer error means the device went away."""
        try:
            return call()
        except pygame.error as error:
            self.lost(str(error))
            return None

    def lost(self, why: str) -> None:
        self.once.warn("lost", f"audio lost ({why}): the timer keeps time, retrying")
        self.close()
        self.retry_at = self.clock.now() + RETRY_EVERY / 5

    def close(self) -> None:
        self.open = False
        self.sounds = {}
        self.on_close()
        if pygame.mixer.get_init():
            pygame.mixer.quit()

    # -- playing ---------------------------------------------------------------

    def load(self, path: Path) -> pygame.mixer.Sound | None:
        """A sound file, or None. A file pygame cannot read (corrupt, unsupported, deleted
        meanwhile) is that file's problem, said once, not a lost device. So is a file with
        not one whole sample frame: SDL_mixer refuses to play it and pygame 2.6 then
        writes before its channel table (channel -1), which crashes the process later."""
        if not self.open:
            return None
        try:
            sound = pygame.mixer.Sound(str(path))
        except (pygame.error, OSError) as error:
            self.once.warn(f"file {path}", f"cannot play {path}: {error}")
            return None
        if sound.get_length() <= 0:
            self.once.warn(f"file {path}", f"cannot play {path}: it holds no sound")
            return None
        return sound

    def speak(self, sound: pygame.mixer.Sound, volume: float) -> None:
        """Play on the speech channel that is not the current one (it may still be fading)."""
        self._voice = VOICES[1] if self._voice == VOICES[0] else VOICES[0]
        self._play(self._voice, sound, volume)

    def fade_voice(self) -> None:
        if self.open:
            self.guard(lambda: pygame.mixer.Channel(self._voice).fadeout(FADE_MS))

    def effect(self, sound: pygame.mixer.Sound, volume: float) -> None:
        self._next_fx = (self._next_fx + 1) % len(EFFECTS)
        self._play(EFFECTS[self._next_fx], sound, volume)

    def click(self, volume: float) -> None:
        if self.open:  # the built-in sounds exist only while open
            self._play(CLICK, self.sounds["click"], volume)

    def _play(self, channel: int, sound: pygame.mixer.Sound, volume: float) -> None:
        def play() -> None:
            output = pygame.mixer.Channel(channel)
            output.set_volume(volume)
            output.play(sound)
            self.sound_until = max(self.sound_until, self.clock.now() + sound.get_length())

        if self.open:
            self.guard(play)

    def running(self) -> bool | None:
        """Whether SDL still runs the open device (False: the sound server went away)."""
        return self.device_running() if pygame.mixer.get_init() else None

    def _present(self) -> bool | None:
        """Whether our output is listed (any, for the default one); None when SDL cannot
        say (mixer closed). A named Bluetooth speaker that disconnects is lost here."""
        try:
            names = self.devices()
        except Exception:  # pygame._sdl2 raises its own error type when audio is shut
            return None
        return self.output.device in names if self.output.device else bool(names)


def _device_names() -> list[str]:
    from pygame._sdl2 import audio as sdl_audio

    return list(sdl_audio.get_audio_device_names(False))


def output_names() -> list[str]:
    """The outputs SDL's audio driver offers now, for ``[audio] device``; opens none.
    For the one-shot commands: with the mixer closed it ends with ``pygame.quit()``,
    since a mixer opened later over a bare audio subsystem silently fails."""
    if pygame.mixer.get_init():
        return _device_names()
    from pygame._sdl2 import sdl2

    silence_alsa()
    sdl2.init_subsystem(sdl2.INIT_AUDIO)  # listing needs the subsystem, not an open device
    try:
        return _device_names()
    finally:
        pygame.quit()
