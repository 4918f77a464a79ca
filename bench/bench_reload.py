"""Reload under load: how late cues come while routine files are saved 5 times a second.

Run: ``.venv/bin/python bench/bench_reload.py`` (about 2 minutes; prints a markdown table).
The daemon runs as ``run --simulate --headless --events -`` (real speaker on SDL's disk
driver) with the bundled routines, or with 300 routine files (copies of them); a routine
of a tick every half second runs while another file is saved every 0.2 s. Each cue's
lateness is its ``actual`` time minus its ``planned`` one, from the daemon's event log.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from bench_daemon import ROOT, environment, percentile, prepare  # noqa: E402 - after the path set-up

from tests.daemon_helpers import DaemonProcess  # noqa: E402

SECONDS = 30  # of the routine, per case
SAVE_EVERY = 0.2  # seconds: 5 saves a second
ROUTINE = "bench-ticks"  # a tick every half second: 60 cues in 30 s
TICKS = """title = "Ticks"
description = "For the reload benchmark: a tick every half second."

[[step]]
name = "Ticks"
say = "Ticks."
duration = "2m"
tempo = "0.5s"
"""


def fill(folder: Path, files: int) -> None:
    """Copies of the bundled routines until ``folder`` holds ``files`` routine files."""
    (folder / f"{ROUTINE}.toml").write_text(TICKS)
    bundled = sorted(ROOT.glob("routines/*.toml"))
    for number in range(files - len(bundled) - 1):
        source = bundled[number % len(bundled)]
        shutil.copy(source, folder / f"copy-{number:03d}-{source.name}")


def save_often(path: Path, stop: threading.Event) -> int:
    """Save ``path`` every SAVE_EVERY seconds (a comment changes) until ``stop``."""
    text, saves = path.read_text(), 0
    while not stop.wait(SAVE_EVERY):
        saves += 1
        path.write_text(text + f"\n# save {saves}\n")
    path.write_text(text)
    return saves


def lateness(daemon: DaemonProcess, seconds: float) -> tuple[list[float], int]:
    """The lateness (s) of every cue planned in the first ``seconds`` of a routine, while a
    file is saved 5 times a second (a cue that comes after the saves stop counts too);
    and how many reloads the daemon did meanwhile."""
    daemon.ctl("start", name=ROUTINE)
    daemon.forget_events()
    stop = threading.Event()
    saver = threading.Thread(target=save_often, args=(daemon.folder / "demo.toml", stop))
    saver.start()
    late, reloads, first, give_up = [], 0, None, time.monotonic() + seconds * 4
    saving_until = time.monotonic() + seconds
    while time.monotonic() < give_up:
        if time.monotonic() > saving_until:
            stop.set()
        _, event = daemon.events.get(timeout=60)
        reloads += event["event"] == "reload"
        if event["event"] != "cue":
            continue
        first = event["planned"] if first is None else first
        if event["planned"] > first + seconds:
            break
        late.append(event["actual"] - event["planned"])
    stop.set()
    saver.join()
    return late, reloads


def run_case(files: int) -> tuple[list[float], int]:
    work = Path(tempfile.mkdtemp(prefix="bench-reload-"))
    try:
        env = environment(work)
        prepare(work, env)
        fill(work / "routines", files)
        warm = [sys.executable, "-m", "device", "--routines", str(work / "routines"), "warm"]
        subprocess.run(warm, env=env, check=True, capture_output=True)  # the ticks' phrases
        daemon = DaemonProcess(work / "routines", work / "notify", env, "--headless", quiet=True)
        daemon.notify.settimeout(180)  # the first load of 300 files, on a busy machine
        try:
            daemon.notified("READY")
            return lateness(daemon, SECONDS)
        finally:
            daemon.close()  # SIGKILL: a daemon still busy reloading need not finish
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    rows = []
    for files in (len(list(ROOT.glob("routines/*.toml"))) + 1, 300):
        late, reloads = run_case(files)
        print(f"bench: {files} files: {len(late)} cues, {reloads} reloads", file=sys.stderr)
        p95, worst = percentile(late, 0.95) * 1000, max(late) * 1000
        median = percentile(late, 0.5) * 1000
        ok = "yes" if p95 < 20 else "**no**"
        rows.append(
            f"| {files} files | {len(late)} | {reloads} | {median:.1f} ms | {p95:.1f} ms "
            f"| {worst:.1f} ms | {ok} |"
        )
    print(f"\ncue lateness during {SECONDS} s of {ROUTINE}, a file saved every {SAVE_EVERY} s\n")
    print("| routines folder | cues | reloads | median | p95 | max | p95 < 20 ms |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
