"""libasound's error chatter is silenced, for real, in a process with no usable sound card.

Each case runs in a child process: pygame's mixer can be opened once per process
state, and a hang must fail the test (the timeout) rather than the whole suite.
"""

import os
import subprocess
import sys

import pytest

from device.audio.alsa_quiet import silence_alsa

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
    result = _open_mixer("from device.audio.alsa_quiet import silence_alsa; silence_alsa()")
    assert result.stdout.count("mixer failed") == 3 and "done" in result.stdout
    assert "ALSA lib" not in result.stderr


def test_it_finds_pygames_bundled_copy_and_is_safe_to_call_twice():
    assert silence_alsa() >= 1
    assert silence_alsa() >= 1
