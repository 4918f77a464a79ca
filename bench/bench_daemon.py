"""Daemon benchmark: idle/routine CPU, peak RSS, start to READY, save to reload, press to action.

Run: ``.venv/bin/python bench/bench_daemon.py`` (about 2.5 minutes; prints a markdown table).
The daemon runs as ``run --simulate`` with the real screen (SDL dummy video driver, idle view
kept awake) and the real speaker (SDL disk audio driver), as a subprocess measured from /proc.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from device.daemon.control import request  # noqa: E402 - after the path set-up above

TICKS = os.sysconf("SC_CLK_TCK")
IDLE_SECONDS, ROUTINE_SECONDS = 60, 30


class Daemon:
    def __init__(self, work: Path, notify: str) -> None:
        env = os.environ | {
            "NOTIFY_SOCKET": notify,
            "XDG_RUNTIME_DIR": str(work / "run"),
            "XDG_STATE_HOME": str(work / "state"),
            "XDG_CACHE_HOME": str(Path.home() / ".cache"),  # warm speech cache
            "SDL_VIDEODRIVER": "dummy",
            "SDL_AUDIODRIVER": "disk",
            "SDL_DISKAUDIOFILE": str(work / "audio.raw"),
            "PYGAME_HIDE_SUPPORT_PROMPT": "1",
        }
        command = [sys.executable, "-m", "device", "--config", str(work / "config.toml")]
        command += ["--routines", str(work / "routines"), "run", "--simulate", "--events", "-"]
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        self.socket = work / "run" / "massage-timer" / "control.sock"
        self.events: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            if line.startswith("{"):
                self.events.put((time.monotonic(), json.loads(line)))

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def cpu_percent(self, seconds: float) -> float:
        before, start = self.cpu_seconds(), time.monotonic()
        time.sleep(seconds)
        return 100 * (self.cpu_seconds() - before) / (time.monotonic() - start)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def wait_ready(sock: socket.socket) -> None:
    while b"READY=1" not in sock.recv(4096):
        pass


def prepare(work: Path) -> None:
    shutil.copytree(ROOT / "routines", work / "routines")
    (work / "run").mkdir()
    (work / "config.toml").write_text('[display]\nwake = "1h"\n')  # keep the idle view lit


def bench_ready(work: Path, sock: socket.socket, notify: str) -> float:
    """Start to READY=1, warm: the median of three starts after one to warm the caches."""
    times = []
    for attempt in range(4):
        daemon = Daemon(work, notify)
        wait_ready(sock)
        if attempt:
            times.append(time.monotonic() - daemon.started)
        daemon.stop()
    return statistics.median(times)


def bench_reload(daemon: Daemon, work: Path) -> list[float]:
    text = (work / "routines" / "demo.toml").read_text()
    times = []
    for number in range(10):
        while not daemon.events.empty():
            daemon.events.get()
        saved = time.monotonic()
        (work / "routines" / "demo.toml").write_text(text + f"\n# save {number}\n")
        while True:
            seen, event = daemon.events.get(timeout=10)
            if event["event"] == "reload":
                times.append(seen - saved)
                break
        time.sleep(0.3)
    return times


def bench_press(work: Path, presses: int = 200) -> list[float]:
    """In-process: the real loop and outputs; a GPIO-like thread presses, we time the action."""
    os.environ.update(SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="disk")
    os.environ["SDL_DISKAUDIOFILE"] = str(work / "press.raw")
    from gpiozero import Device
    from gpiozero.pins.mock import MockFactory

    from device.clock import MonotonicClock
    from device.config.schema import Config
    from device.core.controller import DEFAULT_GESTURES, Controller
    from device.daemon.board import Board
    from device.daemon.library import Library
    from device.daemon.loop import Loop
    from device.daemon.wiring import build_outputs, decoder_for, start_outputs

    Device.pin_factory = MockFactory()
    acted = threading.Event()

    class Stopwatch:
        def prepare(self, routines):
            pass

        def perform(self, actions, now):
            acted.set()

        def show(self, view, now):
            return None

    config, clock = Config(), MonotonicClock()
    args = type("Args", (), {"headless": False})()
    outputs = [*start_outputs(build_outputs(config, args, clock)), Stopwatch()]
    parts = {"decoder": decoder_for(config.buttons), "gestures": DEFAULT_GESTURES}
    loop = Loop(Controller({}), outputs, clock, library=Library(work / "routines"), **parts)
    loop.board = Board(config, loop.post, clock)
    loop.board.start()
    loop.post("reload")
    loop.post("ctl", {"cmd": "start", "name": "evening-wind-down"}, lambda answer: None)
    thread = threading.Thread(target=loop.run, daemon=True)
    thread.start()
    pin = Device.pin_factory.pin(config.buttons.repeat)
    times = []
    for _ in range(presses):
        pin.drive_low()
        time.sleep(0.07)
        acted.clear()
        start = time.perf_counter()
        pin.drive_high()  # a press is known on release: from here to the action
        if acted.wait(2):
            times.append(time.perf_counter() - start)
        time.sleep(0.1)  # more than the bounce time between presses
    loop.post("stop")
    thread.join(5)
    for output in reversed(outputs[:-1]):
        output.stop()
    return times


def note(what: str, value: object) -> None:
    print(f"bench: {what}: {value}", file=sys.stderr, flush=True)


def p99(values: list[float]) -> float:
    return sorted(values)[min(len(values) - 1, int(len(values) * 0.99))]


def row(name: str, value: str, target: str, ok: bool) -> str:
    return f"| {name} | {value} | {target} | {'yes' if ok else '**no**'} |"


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="bench-daemon-"))
    notify = str(work / "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(notify)
    sock.settimeout(60)
    try:
        prepare(work)
        ready = bench_ready(work, sock, notify)
        note("ready", ready)
        daemon = Daemon(work, notify)
        wait_ready(sock)
        time.sleep(2)  # let start-up work (speech cache check, first frame) settle
        idle = daemon.cpu_percent(IDLE_SECONDS)
        note("idle", idle)
        request(daemon.socket, {"cmd": "start", "name": "evening-wind-down"})
        status = request(daemon.socket, {"cmd": "next"})["status"]  # past "press play when ready"
        assert status["state"] == "running", status
        routine = daemon.cpu_percent(ROUTINE_SECONDS)
        note("routine", routine)
        reload = bench_reload(daemon, work)
        note("reload", reload)
        rss = daemon.peak_rss_mb()
        daemon.stop()
        press = bench_press(work)
    finally:
        sock.close()
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nmassage-timer daemon on this machine ({os.cpu_count()} cores)\n")
    print("| measure | result | target | met |\n|---|---|---|---|")
    idle_name, routine_name = f"idle CPU ({IDLE_SECONDS} s, idle view lit)", "CPU in a routine"
    print(row(idle_name, f"{idle:.2f} %", "≤ 0.5 %", idle <= 0.5))
    print(row(f"{routine_name} ({ROUTINE_SECONDS} s)", f"{routine:.2f} %", "≤ 3 %", routine <= 3))
    print(row("peak RSS", f"{rss:.1f} MB", "≤ 80 MB", rss <= 80))
    print(row("start to READY=1 (warm, median of 3)", f"{ready:.2f} s", "≤ 1.5 s", ready <= 1.5))
    worst = max(reload)
    value = f"median {statistics.median(reload) * 1000:.0f} ms, max {worst * 1000:.0f} ms"
    print(row("file save → reload active (10 saves)", value, "≤ 1 s", worst <= 1.0))
    value = f"median {statistics.median(press) * 1000:.1f} ms, p99 {p99(press) * 1000:.1f} ms"
    ok = len(press) > 0 and p99(press) <= 0.020
    print(row(f"press → action ({len(press)} presses)", value, "p99 ≤ 20 ms", ok))
    return 0


if __name__ == "__main__":
    sys.exit(main())
