"""Daemon benchmark: idle/routine CPU, peak RSS, start to READY, save to reload, press to action.

Run: ``.venv/bin/python bench/bench_daemon.py`` (about 2.5 minutes; prints a markdown table).
The daemon runs as ``run --simulate`` with the real screen (SDL dummy video driver, idle view
kept awake) and the real speaker (SDL disk audio driver), as a subprocess measured from /proc,
through the tests' harness (tests/daemon_helpers.py) and in a work folder of its own: HOME,
config, speech cache and state are never the user's.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from device.clock import MonotonicClock  # noqa: E402 - after the path set-up above
from tests.daemon_helpers import DaemonProcess, machine_folders  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
IDLE_SECONDS, ROUTINE_SECONDS = 60, 30


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_percent(pid: int, seconds: float) -> float:
    before, start = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return 100 * (cpu_seconds(pid) - before) / (time.monotonic() - start)


def environment(work: Path) -> dict[str, str]:
    """The machine's folders moved into ``work`` (as the tests do), the real screen and
    speaker on SDL's dummy video and disk audio drivers."""
    folders = machine_folders(work / "home")
    folders["XDG_RUNTIME_DIR"].mkdir(parents=True, mode=0o700)
    return (
        os.environ
        | {name: str(path) for name, path in folders.items()}
        | {
            "SDL_VIDEODRIVER": "dummy",
            "SDL_AUDIODRIVER": "disk",
            "SDL_DISKAUDIOFILE": str(work / "audio.raw"),
            "PYGAME_HIDE_SUPPORT_PROMPT": "1",
        }
    )


def prepare(work: Path, env: dict[str, str]) -> None:
    """The bundled routines, a config that keeps the idle view lit, and their speech
    rendered ahead (into the work folder's cache, never the user's)."""
    shutil.copytree(ROOT / "routines", work / "routines")
    config = Path(env["XDG_CONFIG_HOME"]) / "massage-timer" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[display]\nwake = "1h"\n')
    warm = [sys.executable, "-m", "device", "--routines", str(work / "routines"), "warm"]
    subprocess.run(warm, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start(work: Path, env: dict[str, str]) -> DaemonProcess:
    return DaemonProcess(work / "routines", work / "notify", env, quiet=True)


def bench_ready(work: Path, env: dict[str, str]) -> float:
    """Start to READY=1, warm: the median of three starts after one to warm the caches."""
    times = []
    for attempt in range(4):
        daemon = start(work, env)
        daemon.notified("READY")
        if attempt:
            times.append(time.monotonic() - daemon.started)
        daemon.stop()
        daemon.close()
    return statistics.median(times)


def bench_reload(daemon: DaemonProcess) -> list[float]:
    path = daemon.folder / "demo.toml"
    text = path.read_text()
    times = []
    for number in range(10):
        daemon.forget_events()
        saved = time.monotonic()
        path.write_text(text + f"\n# save {number}\n")
        seen, _ = daemon.seen("reload")
        times.append(seen - saved)
        time.sleep(0.3)
    return times


def bench_press(work: Path, env: dict[str, str], presses: int = 200) -> list[float]:
    """In-process: the loop as the daemon wires it, with the real outputs; a GPIO-like
    thread presses, we time the action."""
    os.environ.update(env | {"SDL_DISKAUDIOFILE": str(work / "press.raw")})
    from gpiozero import Device
    from gpiozero.pins.mock import MockFactory

    from device.config.schema import Config
    from device.core.outputs import RecordingOutput
    from device.daemon.inbox import Request, Stop
    from device.daemon.wiring import build_loop, build_outputs, start_outputs

    class Stopwatch(RecordingOutput):
        def __init__(self) -> None:
            super().__init__()
            self.acted = threading.Event()

        def perform(self, actions, now) -> None:
            self.acted.set()

    Device.pin_factory = MockFactory()
    config, clock, stopwatch = Config(), MonotonicClock(), Stopwatch()
    outputs = [*start_outputs(build_outputs(config, clock)), stopwatch]
    loop = build_loop(config, work / "routines", clock, outputs)
    loop.post(Request({"cmd": "start", "name": "evening-wind-down"}, lambda answer: None))
    thread = threading.Thread(target=loop.run, daemon=True)
    thread.start()
    pin = Device.pin_factory.pin(config.buttons.repeat)
    times = []
    for _ in range(presses):
        pin.drive_low()
        time.sleep(0.07)
        stopwatch.acted.clear()
        begin = time.perf_counter()
        pin.drive_high()  # a press is known on release: from here to the action
        if stopwatch.acted.wait(2):
            times.append(time.perf_counter() - begin)
        time.sleep(0.1)  # more than the bounce time between presses
    loop.post(Stop())
    thread.join(5)
    for output in reversed(outputs[:-1]):
        output.stop()
    return times


def note(what: str, value: object) -> None:
    print(f"bench: {what}: {value}", file=sys.stderr, flush=True)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def row(name: str, value: str, target: str, ok: bool) -> str:
    return f"| {name} | {value} | {target} | {'yes' if ok else '**no**'} |"


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="bench-daemon-"))
    daemon = None
    try:
        env = environment(work)
        prepare(work, env)
        ready = bench_ready(work, env)
        note("ready", ready)
        daemon = start(work, env)
        daemon.notified("READY")
        time.sleep(2)  # let start-up work (speech cache check, first frame) settle
        pid = daemon.process.pid
        idle = cpu_percent(pid, IDLE_SECONDS)
        note("idle", idle)
        daemon.ctl("start", name="evening-wind-down")
        status = daemon.ctl("next")["status"]  # past "press play when ready"
        assert status["state"] == "running", status
        routine = cpu_percent(pid, ROUTINE_SECONDS)
        note("routine", routine)
        reload = bench_reload(daemon)
        note("reload", reload)
        rss = peak_rss_mb(pid)
        daemon.stop()
        press = bench_press(work, env)
    finally:
        if daemon is not None:
            daemon.close()
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
    p99 = percentile(press, 0.99)
    value = f"median {statistics.median(press) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms"
    ok = len(press) > 0 and p99 <= 0.020
    print(row(f"press → action ({len(press)} presses)", value, "p99 ≤ 20 ms", ok))
    return 0


if __name__ == "__main__":
    sys.exit(main())
