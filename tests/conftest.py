"""Suite-wide setup: pygame never opens a real window or sound card in tests."""

import os
import tempfile

# Real pygame with SDL's dummy video and disk audio drivers: nothing shows or
# sounds, yet every drawing and mixing call runs for real.
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "disk")
_RECORDING = os.path.join(tempfile.gettempdir(), "massage-timer-test-audio.raw")
os.environ.setdefault("SDL_DISKAUDIOFILE", _RECORDING)  # never sdlaudio.raw in the repo
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
os.environ.pop("DISPLAY", None)
os.environ.pop("WAYLAND_DISPLAY", None)
