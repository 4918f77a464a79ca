"""libasound's error chatter is silenced, for real, in a process with no usable sound card.

Each case runs in a child process: pygame's mixer can be opened once per process
state, and a hang must fail the test (the timeout) rather than the whole suite.
"""

import importlib.metadata
import os
import subprocess
import sys

import pytest

from device.audio.alsa_quiet import libasound_copies, silence_alsa

# Three opens in a row, as the speaker's retries do. AUDIODEV names a card that no
# machine has, so the open fails everywhere, the same way as on a Pi with no speaker.
OPEN_MIXER_THRICE = """
{silence}
import pygame
for _ in range(3):
    try:
        pygame.mixer.init()
    except pygame.error as error:
        print("mixer failed:", error)
print("done")
"""


def _open_mixer(silence: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "SDL_AUDIODRIVER": "alsa", "AUDIODEV": "hw:9"}
    environment.pop("ALSA_CONFIG_PATH", None)  # the system's real ALSA configuration
    code = OPEN_MIXER_THRICE.format(silence=silence)
    try:
        return subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env=environment,
            timeout=30,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("opening the mixer hung (a deadlock between the error handler and SDL)")


def test_without_silencing_libasound_prints_its_own_errors():
    result = _open_mixer("")
    assert result.stdout.count("mixer failed") == 3
    assert "ALSA lib" in result.stderr


def test_silencing_leaves_only_our_own_message_and_never_hangs():
    # The handler once was a Python callback: SDL's hot-plug thread called it while
    # the main thread held the GIL inside mixer.init(), and the process froze.
    result = _open_mixer(
        "from device.audio.alsa_quiet import libasound_copies, silence_alsa; silence_alsa()"
    )
    assert result.stdout.count("mixer failed") == 3 and "done" in result.stdout
    assert "ALSA lib" not in result.stderr


def _bundled_libasound() -> list[str]:
    """pygame's own copies of libasound, found from its installed files (not alsa_quiet)."""
    files = importlib.metadata.distribution("pygame").files or []
    found = [file.locate() for file in files if file.name.startswith("libasound")]
    return sorted(os.path.realpath(path) for path in found if ".so" in path.name)


# Opens a PCM that no machine has through pygame's bundled libasound itself.
OPEN_PCM_IN_BUNDLED_COPY = """
import ctypes, sys
{silence}
handle = ctypes.c_void_p()
library = ctypes.CDLL(sys.argv[1])
print("open:", library.snd_pcm_open(ctypes.byref(handle), b"hw:9", 0, 0))
"""


@pytest.mark.parametrize("silenced", [False, True])
def test_pygames_bundled_copy_is_silenced_too(silenced):
    """SDL in pygame's wheel may load its own libasound, with a handler of its own."""
    bundled = _bundled_libasound()
    if not bundled:
        pytest.skip("this pygame bundles no libasound (a distribution build)")
    silence = "from device.audio.alsa_quiet import libasound_copies, silence_alsa; silence_alsa()"
    code = OPEN_PCM_IN_BUNDLED_COPY.format(silence=silence if silenced else "")
    environment = {**os.environ, "AUDIODEV": "hw:9"}
    done = subprocess.run(
        [sys.executable, "-c", code, bundled[0]],
        capture_output=True,
        text=True,
        env=environment,
        timeout=30,
    )
    assert "open: -" in done.stdout  # the open failed, so libasound had an error to print
    assert ("ALSA lib" in done.stderr) is not silenced, done.stderr


def test_every_copy_is_found_and_it_is_safe_to_call_twice():
    system, *bundled = libasound_copies()
    assert system == "libasound.so.2"
    assert [os.path.realpath(copy) for copy in bundled] == _bundled_libasound()
    expected = 1 + len(_bundled_libasound())
    assert silence_alsa() == expected
    assert silence_alsa() == expected
