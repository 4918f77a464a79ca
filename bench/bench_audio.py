"""Audio benchmark: cue onset error, press-to-sound, render throughput, and the naive way.

Run: ``.venv/bin/python bench/bench_audio.py`` (about two minutes; prints a markdown table).

What the speaker would play is recorded by SDL's disk driver (real pygame mixer,
real time). A thread notes when the file grows, which maps a byte of audio to the
moment the mixer delivered it; onsets found in the PCM are compared with the
instants the engine planned. On a real sound card add the card's own period
(constant, about one mixer buffer) to every figure.
"""

from __future__ import annotations

import contextlib
import os
import queue
import statistics
import sys
import tempfile
import threading
import time
from bisect import bisect_left
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["SDL_AUDIODRIVER"] = "disk"
os.environ.pop("SDL_DISKAUDIODELAY", None)  # real-time pacing
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import pygame  # noqa: E402 -- after the SDL environment is set

from device.audio import Speaker  # noqa: E402
from device.catalog import load_catalog  # noqa: E402
from device.clock import MonotonicClock  # noqa: E402
from device.paths import BUNDLED_ROUTINES  # noqa: E402
from device.routine import load_routine  # noqa: E402
from device.session import Command, Say, Session, Sound, State  # noqa: E402
from device.speech import SpeechCache  # noqa: E402
from device.timeline import all_phrases, plan  # noqa: E402
from tests.audio_helpers import audio_config, groups, onsets  # noqa: E402

STEPS = 11  # 6 counted steps (4 onsets) + 5 ticked (5 onsets) + the finish: 50 cues
PRESSES = 20


def bench_routine() -> str:
    counted = (
        '[[step]]\nname = "Cheeks"\nsay = "Cheeks."\nduration = "6s"\nreps = 4\ncountdown = 0\n'
    )
    ticked = (
        '[[step]]\nname = "Brow"\nsay = "Brow."\nduration = "6s"\ntempo = "1.5s"\ncountdown = 1\n'
    )
    steps = "\n".join(counted if i % 2 == 0 else ticked for i in range(STEPS))
    head = 'title = "Bench"\nintro = "Go."\nfinish = "Done."\n[defaults]\nwarning = "0s"\n'
    wait = '[[step]]\nname = "Ready"\nsay = "Ready."\nwait = true\n'
    return head + wait + steps


class FileWatch:
    """Notes (wall time, size) each time the disk-audio file grows."""

    def __init__(self, path: Path) -> None:
        self.path, self.points, self.running = path, [], True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        last = -1
        while self.running:
            with contextlib.suppress(FileNotFoundError):
                size = os.path.getsize(self.path)
                if size != last:
                    self.points.append((time.monotonic(), size))
                    last = size
            time.sleep(0.0005)

    def stop(self) -> None:
        self.running = False
        self.thread.join()

    def wall(self, byte: float) -> float:
        """When the mixer delivered ``byte`` (interpolated between file flushes)."""
        sizes = [s for _, s in self.points]
        i = min(max(1, bisect_left(sizes, byte)), len(sizes) - 1)
        (t0, s0), (t1, s1) = self.points[i - 1], self.points[i]
        return t0 + (byte - s0) * (t1 - t0) / max(1, s1 - s0)


def errors_ms(watch: FileWatch, planned: list[float], rate: int) -> list[float]:
    heard = onsets(watch.path.read_bytes(), rate)
    if len(heard) != len(planned):
        print(f"warning: heard {len(heard)} onsets, planned {len(planned)}", file=sys.stderr)
    return [(watch.wall(h * rate * 4) - p) * 1000 for h, p in zip(heard, planned, strict=False)]


def run_routine(speaker: Speaker, routine, say) -> list[float]:
    """The daemon's loop in miniature: wait for the next deadline, hand over the actions."""
    clock, wake = speaker.clock, threading.Event()
    session = Session(plan(routine, speaker.speech_length))
    due: list[float] = []
    actions = session.handle(Command.START, clock.now())
    started = clock.now()
    while True:
        due += [a.due for a in actions if isinstance(a, Say | Sound)]
        say(actions, clock.now())
        if session.state is State.DONE:
            break
        if session.state is State.WAITING and clock.now() - started > 1.5:
            actions = session.handle(Command.PLAY, clock.now())
            continue
        deadline = session.next_deadline() or started + 1.6
        wake.wait(max(0.0, deadline - clock.now()))
        actions = session.handle(Command.TICK, clock.now())
    wake.wait(2.5)  # the bell rings out
    return groups(due)


def naive_say(speaker: Speaker, folder: Path):
    """Cues as a naive program does them: pyttsx3 renders each phrase when it is due."""
    import pyttsx3

    with contextlib.redirect_stdout(sys.stderr):
        engine = pyttsx3.init("espeak")
    engine.setProperty("rate", 150)
    channel = pygame.mixer.Channel(0)

    def perform(actions, now):
        speaker.perform([a for a in actions if not isinstance(a, Say)], now)
        for action in (a for a in actions if isinstance(a, Say)):
            path = str(folder / "naive.wav")
            with contextlib.redirect_stdout(sys.stderr):
                engine.save_to_file(action.text, path)
                engine.runAndWait()
            channel.play(pygame.mixer.Sound(path))

    return perform


def timed_run(config, routine, out: Path, naive_folder: Path | None = None) -> list[float]:
    os.environ["SDL_DISKAUDIOFILE"] = str(out)
    speaker = Speaker(config, MonotonicClock())
    speaker.prepare({"bench": routine})
    speaker.wait_ready(120)
    speaker.start()
    watch = FileWatch(out)
    try:
        say = naive_say(speaker, naive_folder) if naive_folder else speaker.perform
        planned = run_routine(speaker, routine, say)
    finally:
        watch.stop()
        speaker.stop()
    return errors_ms(watch, planned, config["audio"]["frequency"])


def press_to_sound(config, out: Path) -> list[float]:
    """A button thread enqueues a press; the loop thread takes it and clicks."""
    os.environ["SDL_DISKAUDIOFILE"] = str(out)
    speaker = Speaker(config, MonotonicClock())
    speaker.start()
    watch, presses, pressed = FileWatch(out), queue.Queue(), []
    time.sleep(0.5)

    def button():
        for _ in range(PRESSES):
            pressed.append(time.monotonic())
            presses.put("play")
            time.sleep(0.3)
        presses.put(None)

    threading.Thread(target=button, daemon=True).start()
    while presses.get() is not None:
        speaker.press_feedback()
    time.sleep(0.3)
    watch.stop()
    speaker.stop()
    heard = onsets(out.read_bytes(), config["audio"]["frequency"], gap=0.1)
    rate = config["audio"]["frequency"]
    return [(watch.wall(h * rate * 4) - p) * 1000 for h, p in zip(heard, pressed, strict=False)]


def render_throughput(folder: Path) -> tuple[int, float]:
    catalog = load_catalog([BUNDLED_ROUTINES])
    phrases = set().union(*(all_phrases(plan(r)) for r in catalog.routines.values()))
    cache = SpeechCache(folder, "en", 150)
    started = time.perf_counter()
    report = cache.render(sorted(phrases))
    return len(report.rendered), time.perf_counter() - started


def stats(values: list[float]) -> str:
    ordered = sorted(abs(v) for v in values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"{statistics.median(ordered):.1f} | {p95:.1f} | {ordered[-1]:.1f} | {len(values)}"


def main() -> int:
    with tempfile.TemporaryDirectory() as temp:
        tmp = Path(temp)
        count, seconds = render_throughput(tmp / "warm")
        (tmp / "bench.toml").write_text(bench_routine())
        routine = load_routine(tmp / "bench.toml")
        config = audio_config(tmp)
        ours = timed_run(config, routine, tmp / "ours.raw")
        naive = timed_run(config, routine, tmp / "naive.raw", naive_folder=tmp)
        press = press_to_sound(config, tmp / "press.raw")
    buffer, rate = config["audio"]["buffer"], config["audio"]["frequency"]
    print(f"\nAudio benchmark ({buffer}-sample buffer at {rate} Hz, SDL disk driver)\n")
    print("| measure | median ms | p95 ms | max ms | n |")
    print("|---|---|---|---|---|")
    print(f"| cue onset error, pre-rendered | {stats(ours)} |")
    print(f"| cue onset error, naive pyttsx3 at the cue | {stats(naive)} |")
    print(f"| button press to click | {stats(press)} |")
    ratio = statistics.median(map(abs, naive)) / max(0.1, statistics.median(map(abs, ours)))
    print(f"\nnaive / pre-rendered median onset error: {ratio:.1f}x")
    print(
        f"render: {count} phrases of the bundled library in {seconds:.1f} s "
        f"({count / seconds:.0f} phrases/s); targets: onset p95 <= 25, max <= 50, press <= 60"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
