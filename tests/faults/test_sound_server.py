"""Fault suite, sound: the sound server killed and restarted mid-routine (failure 6 of
issue 10). A real PulseAudio daemon of the test's own (null sink, isolated runtime folder
and HOME), pygame on SDL's pulseaudio driver, and what reaches the server recorded from
the null sink's monitor. Skipped, with the reason, where PulseAudio cannot run."""

from __future__ import annotations

import array
import contextlib
import logging
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from device.audio.mixer import CHECK_EVERY
from device.audio.speaker import Speaker
from device.clock import FakeClock
from device.core.session import Sound
from device.core.timeline import RANK_STEP
from tests.audio_helpers import audio_config

LOUD = 500  # |sample| that counts as heard
START_WAIT = 10.0  # seconds for the server to come up


class SoundServer:
    """``pulseaudio`` with one null sink, as a normal user-level daemon (root allowed: CI),
    never autospawned by a client; ``kill`` is SIGKILL, as a crash or an OOM kill."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.socket = folder / "native"
        self.env = os.environ | {
            "XDG_RUNTIME_DIR": str(folder),
            "HOME": str(folder / "home"),
            "PULSE_SERVER": f"unix:{self.socket}",
            "PULSE_CLIENTCONFIG": str(folder / "client.conf"),
        }
        (folder / "client.conf").write_text("autospawn = no\n")
        self.process: subprocess.Popen | None = None
        self.log = folder / "pulseaudio.log"

    def start(self) -> None:
        command = [
            "pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no",
            "--log-target=stderr", "--load=module-null-sink sink_name=null",
            f"--load=module-native-protocol-unix auth-anonymous=1 socket={self.socket}",
        ]  # fmt: skip
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                command, env=self.env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
            )
        if not self._answers():
            self.kill()
            tail = self.log.read_text(errors="replace")[-400:]
            pytest.skip(f"pulseaudio cannot run here: {tail.strip() or 'no socket'}")

    def _answers(self) -> bool:
        """Wait (pactl's own timeout, no sleeping) until the server takes connections."""
        check = ["pactl", "--server", f"unix:{self.socket}", "info"]
        for _ in range(int(START_WAIT / 0.5)):
            if self.process is None or self.process.poll() is not None:
                return False
            with contextlib.suppress(subprocess.TimeoutExpired):
                done = subprocess.run(check, env=self.env, capture_output=True, timeout=0.5)
                if done.returncode == 0:
                    return True
            threading.Event().wait(0.05)  # the socket is not there yet: pactl failed at once
        return False

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
        if self.process:
            self.process.wait(10)


class Monitor:
    """``parec`` on the null sink's monitor: sets ``heard`` when anything loud arrives."""

    def __init__(self, server: SoundServer) -> None:
        self.heard = threading.Event()
        command = ["parec", "-d", "null.monitor", "--raw", "--format=s16le", "--channels=1"]
        command += ["--rate=22050", "--latency-msec=20"]
        self.process = subprocess.Popen(
            command, env=server.env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        threading.Thread(target=self._listen, daemon=True).start()

    def _listen(self) -> None:
        assert self.process.stdout is not None
        while chunk := self.process.stdout.read1(4096):
            samples = array.array("h", chunk[: len(chunk) // 2 * 2])
            if any(abs(sample) > LOUD for sample in samples):
                self.heard.set()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)
        if self.process.stdout:
            self.process.stdout.close()


@pytest.fixture
def server(monkeypatch) -> Iterator[SoundServer]:
    if not (shutil.which("pulseaudio") and shutil.which("parec") and shutil.which("pactl")):
        pytest.skip("needs PulseAudio: apt-get install pulseaudio pulseaudio-utils")
    folder = Path(tempfile.mkdtemp(prefix="pa-"))  # short: a socket path has 108 bytes
    (folder / "home").mkdir()
    folder.chmod(0o700)
    made = SoundServer(folder)
    try:
        made.start()
        for name in ("PULSE_SERVER", "PULSE_CLIENTCONFIG"):
            monkeypatch.setenv(name, made.env[name])
        monkeypatch.setenv("SDL_AUDIODRIVER", "pulseaudio")
        yield made
    finally:
        made.kill()
        shutil.rmtree(folder, ignore_errors=True)


def wait_until(condition, seconds: float = 5.0) -> bool:
    """Wait for another process to act (SDL noticing the server is gone)."""
    pause = threading.Event()
    for _ in range(int(seconds / 0.02)):
        if condition():
            return True
        pause.wait(0.02)
    return condition()


def beep(speaker: Speaker) -> None:
    now = speaker.clock.now()
    speaker.perform([Sound("beep", RANK_STEP, now)], now)


def test_sound_comes_back_after_the_sound_server_restarts_mid_routine(server, tmp_path, caplog):
    """Before: 0 of 55 cues heard for the rest of the routine after PulseAudio was killed
    and restarted, and nothing logged; sound came back only with the next routine."""
    clock = FakeClock()
    speaker = Speaker(audio_config(tmp_path), clock)
    monitors: list[Monitor] = []
    try:
        speaker.start(background=False)
        if not speaker.mixer.open:
            pytest.skip("SDL has no pulseaudio driver here")
        speaker.mixer.routine(True, clock.now())  # mid-routine: never put to sleep
        monitors.append(Monitor(server))
        beep(speaker)
        assert monitors[-1].heard.wait(5), "the first beep never reached the server"

        server.kill()
        assert wait_until(lambda: speaker.mixer.running() is False), "SDL never noticed"
        clock.advance(CHECK_EVERY)
        speaker.pump(clock.now())
        assert not speaker.mixer.open
        assert "audio lost (the sound server or the device stopped)" in caplog.text
        beep(speaker)  # while it is gone: nothing, and nothing breaks
        clock.advance(CHECK_EVERY)
        speaker.pump(clock.now())  # a retry while it is still gone
        assert not speaker.mixer.open

        server.start()
        caplog.clear()
        with caplog.at_level(logging.INFO):
            clock.advance(CHECK_EVERY)  # under 3 s after its return
            speaker.pump(clock.now())
        assert speaker.mixer.open and "audio device is back" in caplog.text
        monitors.append(Monitor(server))
        beep(speaker)
        assert monitors[-1].heard.wait(5), "no sound after the server came back"
    finally:
        speaker.stop()
        for monitor in monitors:
            monitor.close()
