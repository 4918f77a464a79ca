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

# void handler(const char *file, int line, const char *function, int err, const char *fmt, ...)
# The variadic tail is simply ignored, which every C calling convention allows.
_HANDLER_TYPE = ctypes.CFUNCTYPE(
    None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p
)
_silent_handler = _HANDLER_TYPE(lambda *args: None)  # kept alive for the process's lifetime


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
            library.snd_lib_error_set_handler(_silent_handler)
            silenced += 1
        except (OSError, AttributeError):  # no ALSA here: nothing to silence
            log.debug("no libasound at %s", name)
    return silenced
