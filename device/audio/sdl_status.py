"""Whether SDL's audio device is still running, asked of SDL itself through ctypes.

A sound server that goes away (PulseAudio or PipeWire killed or restarted) stops SDL's
audio device: SDL marks it disconnected and stops mixing, while pygame.mixer raises
nothing and its device list still names the old outputs. ``SDL_GetAudioDeviceStatus``
says so: a device that SDL_mixer opened and that is no longer playing has stopped.
pygame exposes neither that call nor the device's id, so both come from here: the SDL
library pygame already loaded (found in /proc/self/maps, never a second copy) and
SDL's ids, of which SDL_mixer holds the lowest free ones from 2 up.
"""

from __future__ import annotations

import ctypes
import functools
import os

PLAYING, PAUSED = 1, 2  # SDL_AudioStatus; 0 is SDL_AUDIO_STOPPED
IDS = range(2, 10)  # SDL_OpenAudioDevice's ids (1 is the legacy SDL_OpenAudio's)


@functools.cache
def _sdl() -> ctypes.CDLL | None:
    """The SDL2 library already mapped into this process by pygame, or None."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "/libSDL2-2" in line}
    except OSError:
        return None
    for path in sorted(paths):
        if os.path.exists(path):
            library = ctypes.CDLL(path)
            library.SDL_GetAudioDeviceStatus.argtypes = [ctypes.c_uint32]
            library.SDL_GetAudioDeviceStatus.restype = ctypes.c_int
            return library
    return None


def device_running() -> bool | None:
    """Whether an opened audio device is playing or paused; None when SDL cannot be asked."""
    sdl = _sdl()
    if sdl is None:
        return None
    return any(sdl.SDL_GetAudioDeviceStatus(i) in (PLAYING, PAUSED) for i in IDS)
