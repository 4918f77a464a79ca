"""Speech renderer children: none outlives the daemon, and render passes leak no descriptors."""

from __future__ import annotations

import logging
import os
import select
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from device.audio.engines import Espeak
from device.audio.layers import SpeechLayers
from device.audio.render import RenderWorker
from device.audio.speech import SpeechCache
from device.once import Once

ROOT = Path(__file__).resolve().parents[2]

# A stand-in for the daemon: starts a real renderer child and has it render one phrase,
# so the child is surely past its start-up, then waits.
DAEMON = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from device.audio.synth import Renderer
    from device.audio.engines import Espeak
    renderer = Renderer(Espeak("en", 150).command(sys.executable))
    assert not renderer.render("Ready.", Path(sys.argv[1]), 60).error
    print(renderer.process.pid, flush=True)
    sys.stdin.read()
    """
)


def exited_within(pid: int, seconds: float) -> bool:
    """Wait on a pidfd (no polling) for ``pid`` to end."""
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([pidfd], [], [], seconds)[0])
    finally:
        os.close(pidfd)


def test_a_stuck_renderer_dies_with_a_killed_daemon(tmp_path):
    """Before: a renderer that was stuck (stopped here, as one blocked on a full disk) when
    the daemon was SIGKILLed never read its stdin's EOF and lived on."""
    daemon = subprocess.Popen(
        [sys.executable, "-c", DAEMON, str(tmp_path / "ready.wav")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    child = 0
    try:
        child = int(daemon.stdout.readline())
        os.kill(child, signal.SIGSTOP)
        daemon.send_signal(signal.SIGKILL)
        daemon.wait(10)
        assert exited_within(child, 10), "the renderer outlived the daemon"
    finally:
        daemon.kill()
        daemon.wait()
        for stream in (daemon.stdin, daemon.stdout):
            stream.close()
        if child and not exited_within(child, 0):
            os.kill(child, signal.SIGKILL)  # leave nothing behind, even on failure


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_a_thousand_render_passes_leak_no_descriptors(tmp_path):
    """Cached phrases (fast), with a renderer that fails or cannot start every 25th pass."""
    cache = SpeechCache(tmp_path / "cache", Espeak("en", 150))
    phrases = {"One.", "Two.", "Three."}
    assert not cache.render(sorted(phrases)).failed
    garbled = tmp_path / "garbled-python"  # a renderer child that answers nonsense
    garbled.write_text("#!/bin/sh\nwhile read line; do echo 'Audio saved'; done\n")
    garbled.chmod(0o755)
    broken = [
        SpeechCache(tmp_path / "cache", Espeak("en", 151), python=str(garbled)),
        SpeechCache(tmp_path / "cache", Espeak("en", 152), python=str(tmp_path / "no-python")),
    ]
    passes = threading.Semaphore(0)
    worker = RenderWorker(
        SpeechLayers([cache]), Once(logging.getLogger(__name__)), lambda lengths: passes.release()
    )
    try:
        worker.request(lambda length: phrases)  # the first pass loads espeak-ng (it stays)
        assert passes.acquire(timeout=10)
        before = open_descriptors()
        for number in range(1000):
            worker.request(lambda length: phrases)
            assert passes.acquire(timeout=10)
            if number % 25 == 0:
                assert broken[number % 2].render(["Four."]).failed
        assert open_descriptors() == before
    finally:
        worker.stop()
