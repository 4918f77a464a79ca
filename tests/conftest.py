"""Suite-wide setup: pygame never opens a real window or sound card in tests."""

import atexit
import os
import shutil
import tempfile

# Real pygame with SDL's dummy video and disk audio drivers: nothing shows or
# sounds, yet every drawing and mixing call runs for real.
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "disk")
# One folder per test run, so two runs at once (two clones, CI beside a developer)
# never write the same recording; never sdlaudio.raw in the repo.
_RUN_FOLDER = tempfile.mkdtemp(prefix="massage-timer-test-")
atexit.register(shutil.rmtree, _RUN_FOLDER, True)
_RECORDING = os.path.join(_RUN_FOLDER, "audio.raw")
os.environ.setdefault("SDL_DISKAUDIOFILE", _RECORDING)
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
os.environ.pop("DISPLAY", None)
os.environ.pop("WAYLAND_DISPLAY", None)
