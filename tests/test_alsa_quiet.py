"""libasound's error chatter is silenced, for real, in a process with no sound card."""

import os
import subprocess
import sys

from device.alsa_quiet import silence_alsa

OPEN_MIXER = """
import sys
{silence}
import pygame
try:
    pygame.mixer.init()
except pygame.error as error:
    print("mixer failed:", error)
"""


def _open_mixer_with_alsa(silence: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "SDL_AUDIODRIVER": "alsa", "ALSA_CONFIG_PATH": os.devnull}
    code = OPEN_MIXER.format(silence=silence)
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environment, timeout=60
    )


def test_without_silencing_libasound_prints_its_own_errors():
    result = _open_mixer_with_alsa("")
    assert "mixer failed" in result.stdout  # no card: the mixer cannot open
    assert "ALSA lib" in result.stderr  # and libasound says so, at length


def test_silencing_leaves_only_our_own_message():
    result = _open_mixer_with_alsa("from device.alsa_quiet import silence_alsa; silence_alsa()")
    assert "mixer failed" in result.stdout
    assert "ALSA lib" not in result.stderr


def test_it_finds_pygames_bundled_copy_and_is_safe_to_call_twice():
    assert silence_alsa() >= 1
    assert silence_alsa() >= 1
