"""Keep libasound from printing its own errors to stderr.

With no sound card, every attempt to open the mixer makes libasound print
five or more ``ALSA lib …`` lines, and the speaker retries every few seconds.
The speaker already logs one clear line, so libasound's chatter is switched
off: each copy of the library loaded (pygame's wheel bundles its own) gets a
handler that does nothing.
"""

from __future__ import annotations

import ctypes
import glob
import importlib.util
import logging
import os

log = logging.getLogger(__name__)

# The handler must be C, never a Python callback: SDL's ALSA hot-plug thread can
# report an error while the main thread holds Python's lock inside
# pygame.mixer.init() waiting for that very thread, and a Python handler would
# wait for the lock for ever. libc's getpid() takes no arguments and changes
# nothing, so it serves as a do-nothing handler: on every ABI a Pi or a PC uses
# (x86-64, AArch64, 32-bit ARM) the caller cleans up the arguments it ignores.
_LIBC = ctypes.CDLL(None)
_DO_NOTHING = ctypes.cast(_LIBC.getpid, ctypes.c_void_p)


def libasound_copies() -> list[str]:
    """The system's libasound and any copy bundled in pygame's wheel."""
    copies = ["libasound.so.2"]
    spec = importlib.util.find_spec("pygame")
    if spec and spec.origin:
        bundled = os.path.join(os.path.dirname(spec.origin), os.pardir, "pygame.libs")
        copies += sorted(glob.glob(os.path.join(bundled, "libasound*.so*")))
    return copies


def silence_alsa() -> int:
    """Install the silent handler in every libasound copy found; return how many."""
    silenced = 0
    for name in libasound_copies():
        try:
            library = ctypes.CDLL(name)
            library.snd_lib_error_set_handler.argtypes = [ctypes.c_void_p]
            library.snd_lib_error_set_handler(_DO_NOTHING)
            silenced += 1
        except (OSError, AttributeError):  # no ALSA here: nothing to silence
            log.debug("no libasound at %s", name)
    return silenced
