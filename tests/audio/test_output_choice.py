"""[audio] device and idle_close: the output the config names, kept open when asked."""

from __future__ import annotations

import pygame
import pytest

from device.audio.mixer import CHECK_EVERY, RETRY_EVERY, output_names
from device.audio.speaker import Speaker
from device.clock import FakeClock
from device.core.session import Sound
from device.core.timeline import RANK_STEP
from device.core.view import IdleView
from tests.audio_helpers import AudioFileClock, audio_config, use_disk_audio

IDLE = IdleView(awake=True)


def _speaker(tmp_path, monkeypatch, devices: list[str], **audio) -> Speaker:
    use_disk_audio(monkeypatch, tmp_path / "default.raw")
    speaker = Speaker(audio_config(tmp_path, **audio), FakeClock(), devices=lambda: list(devices))
    speaker.start(background=False)
    return speaker


def test_the_named_output_is_the_one_that_plays(tmp_path, monkeypatch):
    # SDL's disk driver takes the device name as the file to write: proof of which opened
    named = tmp_path / "named.raw"
    speaker = _speaker(tmp_path, monkeypatch, [str(named)], device=str(named))
    try:
        now = speaker.clock.now()
        speaker.perform([Sound("bell", RANK_STEP, now)], now)
        recording = AudioFileClock(named, pygame.mixer.get_init()[0])
        try:
            assert recording.wait_until(0.05) >= 0.05
        finally:
            recording.close()
    finally:
        speaker.stop()
    assert not (tmp_path / "default.raw").exists()


def test_a_named_output_that_goes_away_is_lost_then_found_again(tmp_path, monkeypatch):
    named = str(tmp_path / "bluetooth.raw")
    devices = [named, "Built-in Audio"]
    speaker = _speaker(tmp_path, monkeypatch, devices, device=named)
    try:
        clock = speaker.clock
        speaker.pump(clock.advance(CHECK_EVERY))
        assert speaker.mixer.open
        devices.remove(named)  # the speaker is switched off; another output remains
        speaker.pump(clock.advance(CHECK_EVERY))
        assert not speaker.mixer.open
        devices.append(named)
        speaker.pump(clock.advance(RETRY_EVERY))
        assert speaker.mixer.open
    finally:
        speaker.stop()


def test_idle_close_zero_keeps_the_output_open_between_routines(tmp_path, monkeypatch):
    speaker = _speaker(tmp_path, monkeypatch, ["Speaker"], idle_close=0.0)
    try:
        clock = speaker.clock
        assert speaker.show(IDLE, clock.now()) is None  # no quiet spell to wait for
        assert speaker.show(IDLE, clock.advance(3600)) is None
        assert speaker.mixer.open and pygame.mixer.get_init()
    finally:
        speaker.stop()


@pytest.mark.parametrize("seconds", [2.0, 30.0])
def test_idle_close_sets_the_quiet_spell(tmp_path, monkeypatch, seconds):
    speaker = _speaker(tmp_path, monkeypatch, ["Speaker"], idle_close=seconds)
    try:
        start = speaker.clock.now()
        assert speaker.show(IDLE, start) == pytest.approx(start + seconds)
        assert speaker.show(IDLE, speaker.clock.advance(seconds)) is None
        assert speaker.mixer.asleep
    finally:
        speaker.stop()


def test_listing_the_outputs_leaves_the_mixer_able_to_open(tmp_path, monkeypatch):
    use_disk_audio(monkeypatch, tmp_path / "default.raw")
    assert output_names() == ["System audio output device"]
    speaker = _speaker(tmp_path, monkeypatch, ["Speaker"])
    try:
        assert speaker.mixer.open and pygame.mixer.get_init()
    finally:
        speaker.stop()


def test_a_speaker_without_a_device_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("SDL_AUDIODRIVER", "no-such-driver")
    speaker = Speaker(audio_config(tmp_path), FakeClock())
    speaker.start(background=False)
    try:
        assert speaker.problem() == "no audio device"
    finally:
        speaker.stop()
    working = _speaker(tmp_path, monkeypatch, ["Speaker"])
    try:
        assert working.problem() == ""
    finally:
        working.stop()
