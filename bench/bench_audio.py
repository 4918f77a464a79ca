"""Audio benchmark: cue onset error, press-to-sound, render throughput, and the naive way.

Run: ``.venv/bin/python bench/bench_audio.py`` (about 2.5 minutes; prints a markdown table).

What the speaker would play is recorded by SDL's disk driver (real pygame mixer,
real time). A thread notes when the file grows, which maps a byte of audio to the
moment the mixer produced it; onsets found in the PCM are paired one to one with
the instants the engine planned (nearest first), so an extra or a missing onset is
reported, never silently shifts the rest. On a real sound card add the card's own
queue (constant, one or two mixer buffers) to every figure. "Device closed" presses
come after the speaker closed the device for idleness: the press reopens it first
(opening a real ALSA device may take longer than SDL's disk driver).

``--buffer N`` runs with another mixer buffer (samples) instead of the config's.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import queue
import random
import statistics
import sys
import tempfile
import threading
import time
import wave
from bisect import bisect_left
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["SDL_AUDIODRIVER"] = "disk"
os.environ.pop("SDL_DISKAUDIODELAY", None)  # real-time pacing
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import pygame  # noqa: E402 -- after the SDL environment is set

from device.audio.engines import Espeak  # noqa: E402
from device.audio.mixer import IDLE_CLOSE  # noqa: E402
from device.audio.speaker import LOADED, Speaker  # noqa: E402
from device.audio.speech import SpeechCache  # noqa: E402
from device.clock import FakeClock, MonotonicClock  # noqa: E402
from device.config.paths import BUNDLED_ROUTINES  # noqa: E402
from device.core.catalog import load_catalog  # noqa: E402
from device.core.routine import load_routine  # noqa: E402
from device.core.session import Command, Say, Session, Sound, State  # noqa: E402
from device.core.timeline import RANK_STEP, all_phrases, plan  # noqa: E402
from device.core.view import IdleView  # noqa: E402
from tests.audio_helpers import (  # noqa: E402
    audio_config,
    groups,
    longest_pause,
    match,
    onsets,
)

STEPS = 11  # the intro, 6 counted steps (4 onsets), 5 ticked (5 onsets), the finish: 51
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

    def __init__(self, path: Path, buffer_bytes: int) -> None:
        self.path, self.buffer_bytes, self.points, self.running = path, buffer_bytes, [], True
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

    def anchors(self) -> list[tuple[float, int]]:
        """(when the mixer produced it, byte) pairs read off the file's growth.

        SDL writes each mixed buffer through stdio, which keeps bytes until its block
        (st_blksize, 4096 here) is full and passes them on while the *next* buffer is
        written: size S first seen at t means the buffer starting at byte S was mixed
        at t. A buffer of a whole block or more skips stdio's block, so then it is the
        buffer ending at S. (Checked: ticks played at random instants land 0 to one
        buffer after ``play()``, as a mixer must, for 256, 512 and 1024 samples.)
        """
        block = os.stat(self.path).st_blksize
        late = self.buffer_bytes if self.buffer_bytes >= block else 0
        return [(t, size - late) for t, size in self.points]

    def wall(self, byte: float) -> float:
        """When the mixer produced ``byte`` (evenly spaced between anchors)."""
        anchors = self.anchors()
        sizes = [s for _, s in anchors]
        i = min(max(1, bisect_left(sizes, byte)), len(sizes) - 1)
        (t0, s0), (t1, s1) = anchors[i - 1], anchors[i]
        return t0 + (byte - s0) * (t1 - t0) / max(1, s1 - s0)

    def stall_ms(self, io_delay_ms: float) -> float:
        """The longest the mixer fell behind its pace between two writes (an underrun on
        a real card once it exceeds the card's spare buffer)."""
        steps = zip(self.points, self.points[1:], strict=False)
        gaps = [(t1 - t0, s1 - s0) for (t0, s0), (t1, s1) in steps]
        return max(0.0, *(1000 * g - io_delay_ms * n / self.buffer_bytes for g, n in gaps))


def errors_ms(
    watch: FileWatch, planned: list[float], rate: int, gap: float = 0.25
) -> dict[float, float]:
    """Onset minus plan (ms) for each heard onset, keyed by the planned cue it pairs with."""
    heard = [watch.wall(h * rate * 4) for h in onsets(watch.path.read_bytes(), rate, gap=gap)]
    pairs, missed, extra = match(planned, heard)
    for kind, times in (("planned but not heard", missed), ("heard but not planned", extra)):
        if times:
            start = planned[0]
            shown = ", ".join(f"{t - start:.3f}" for t in times)
            print(f"warning: {len(times)} {kind} at {shown} s", file=sys.stderr)
    return {p: (h - p) * 1000 for p, h in pairs}


def run_routine(speaker: Speaker, routine, say) -> tuple[list[float], set[float]]:
    """The daemon's loop in miniature: wait for the next deadline, hand over the actions.

    Returns the planned onsets, and those of them that only speech starts (no sound)."""
    clock, wake = speaker.clock, threading.Event()
    session = Session(plan(routine, speaker.speech_length))
    due: list[float] = []
    sounds: list[float] = []
    actions = session.handle(Command.START, clock.now())
    started = clock.now()
    while True:
        due += [a.due for a in actions if isinstance(a, Say | Sound)]
        sounds += [a.due for a in actions if isinstance(a, Sound)]
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
    planned = groups(due)
    return planned, {p for p in planned if all(abs(p - t) > 0.15 for t in sounds)}


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


def timed_run(config, routine, out: Path, naive_folder: Path | None = None):
    """Errors of every onset, of the speech-only ones, and the file watch (for stalls)."""
    os.environ["SDL_DISKAUDIOFILE"] = str(out)
    speaker = Speaker(config, MonotonicClock())
    speaker.prepare({"bench": routine})
    speaker.wait_ready(120)
    speaker.start()
    watch, said = FileWatch(out, config.audio.buffer * 4), set()
    perform = naive_say(speaker, naive_folder) if naive_folder else speaker.perform

    def say(actions, now):
        said.update(a.text for a in actions if isinstance(a, Say))
        perform(actions, now)

    try:
        planned, spoken = run_routine(speaker, routine, say)
    finally:
        watch.stop()
        speaker.stop()
    check_phrases(speaker, said)
    errors = errors_ms(watch, planned, config.audio.frequency)
    return list(errors.values()), [e for p, e in errors.items() if p in spoken], watch


def check_phrases(speaker: Speaker, said: set[str], gap: float = 0.25) -> None:
    """Say so if a phrase pauses long enough inside to be heard as two onsets."""
    for text in sorted(said):
        with wave.open(str(speaker.cache.cached(text))) as wav:
            pause = longest_pause(wav.readframes(wav.getnframes()), wav.getframerate())
        if pause >= gap:
            print(f"warning: {text!r} pauses {pause:.2f} s inside: two onsets", file=sys.stderr)


def press_to_sound(config, out: Path) -> list[float]:
    """A button thread enqueues a press; the loop thread takes it and clicks."""
    os.environ["SDL_DISKAUDIOFILE"] = str(out)
    speaker = Speaker(config, MonotonicClock())
    speaker.start()
    watch, presses, pressed = FileWatch(out, config.audio.buffer * 4), queue.Queue(), []
    time.sleep(0.5)

    def button():
        for _ in range(PRESSES):
            pressed.append(time.monotonic())
            presses.put("play")
            time.sleep(0.3 + 0.01 * random.random())  # presses fall anywhere in a buffer
        presses.put(None)

    threading.Thread(target=button, daemon=True).start()
    while presses.get() is not None:
        speaker.press_feedback()
    time.sleep(0.3)
    watch.stop()
    speaker.stop()
    return list(errors_ms(watch, pressed, config.audio.frequency, gap=0.1).values())


def press_after_idle(config, folder: Path) -> tuple[list[float], list[float]]:
    """The first press after idle: the device is closed, the press reopens it and clicks.

    SDL starts a new disk file at each open, so each press gets its own file and watch.
    Returns the press-to-click errors and how long each ``press_feedback`` call took."""
    os.environ["SDL_DISKAUDIOFILE"] = str(folder / "idle-start.raw")
    speaker, idle = Speaker(config, MonotonicClock()), IdleView(awake=True)
    speaker.start()
    errors, calls = [], []
    for number in range(PRESSES):
        speaker.show(idle, time.monotonic())  # the quiet spell started ...
        speaker.show(idle, time.monotonic() + IDLE_CLOSE + 1)  # ... and ran out: closed
        assert not speaker.mixer.open, "the device did not close"
        out = folder / f"idle-{number}.raw"
        os.environ["SDL_DISKAUDIOFILE"] = str(out)
        watch, presses, pressed = FileWatch(out, config.audio.buffer * 4), queue.Queue(), []
        threading.Thread(target=press_soon, args=(pressed, presses), daemon=True).start()
        presses.get()
        started = time.perf_counter()
        speaker.press_feedback()
        calls.append((time.perf_counter() - started) * 1000)
        time.sleep(0.3)
        watch.stop()
        speaker.show(idle, time.monotonic() + IDLE_CLOSE + 1)  # closing flushes the file
        errors += errors_ms(watch, pressed, config.audio.frequency, gap=0.1).values()
    speaker.stop()
    return errors, calls


def press_soon(pressed: list[float], presses: queue.Queue) -> None:
    """A button thread: one press, at a random point in a mixer buffer."""
    time.sleep(0.05 + 0.01 * random.random())
    pressed.append(time.monotonic())
    presses.put("play")


def reload_cost(config, folder: Path) -> tuple[int, float]:
    """Phrases loaded back after a reopen (the pump thread does it, off the press path)."""
    catalog = load_catalog([BUNDLED_ROUTINES])
    phrases = sorted(set().union(*(all_phrases(plan(r)) for r in catalog.routines.values())))
    os.environ["SDL_DISKAUDIOFILE"] = str(folder / "reload.raw")
    speaker = Speaker(config.replaced(audio={"cache": str(folder)}), FakeClock())
    speaker.start(background=False)
    for text in phrases[:LOADED]:  # a full set loaded, as after a long routine
        now = speaker.clock.advance(60)
        speaker.perform([Say(text, RANK_STEP, now)], now)
    pygame.mixer.stop()
    speaker.mixer.sleep()
    speaker.mixer.wake(speaker.clock.now())
    count, started = 0, time.perf_counter()
    while speaker.reload_one():
        count += 1
    seconds = time.perf_counter() - started
    speaker.stop()
    return count, seconds


def render_throughput(folder: Path) -> tuple[int, float]:
    catalog = load_catalog([BUNDLED_ROUTINES])
    phrases = set().union(*(all_phrases(plan(r)) for r in catalog.routines.values()))
    cache = SpeechCache(folder, Espeak("en", 150))
    started = time.perf_counter()
    report = cache.render(sorted(phrases))
    return len(report.rendered), time.perf_counter() - started


def stats(values: list[float]) -> str:
    ordered = sorted(abs(v) for v in values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"{statistics.median(ordered):.1f} | {p95:.1f} | {ordered[-1]:.1f} | {len(values)}"


def stats_line(values: list[float]) -> str:
    ordered = sorted(values)
    return f"median {statistics.median(ordered):.2f} ms, max {ordered[-1]:.2f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buffer", type=int, help="mixer buffer in samples (default: config)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        tmp = Path(temp)
        rendering = render_throughput(tmp / "warm")
        (tmp / "bench.toml").write_text(bench_routine())
        routine = load_routine(tmp / "bench.toml")
        config = audio_config(tmp, **({"buffer": args.buffer} if args.buffer else {}))
        ours = timed_run(config, routine, tmp / "ours.raw")
        naive = timed_run(config, routine, tmp / "naive.raw", naive_folder=tmp)
        press = press_to_sound(config, tmp / "press.raw")
        closed = press_after_idle(config, tmp)
        reload = reload_cost(config, tmp / "warm")
    report(config, ours, naive, (press, *closed), rendering, reload)
    return 0


def report(config, ours, naive, presses, rendering, reload) -> None:
    (everything, spoken, watch), (naive_all, naive_spoken, _) = ours, naive
    press, closed, calls = presses
    buffer, rate = config.audio.buffer, config.audio.frequency
    print(f"\nAudio benchmark ({buffer}-sample buffer at {rate} Hz, SDL disk driver)\n")
    print("| measure | median ms | p95 ms | max ms | n |")
    print("|---|---|---|---|---|")
    print(f"| cue onset error, pre-rendered | {stats(everything)} |")
    print(f"| ... of them, cues only speech starts | {stats(spoken)} |")
    print(f"| cue onset error, naive pyttsx3 at the cue | {stats(naive_all)} |")
    print(f"| ... of them, cues only speech starts | {stats(naive_spoken)} |")
    print(f"| button press to click | {stats(press)} |")
    print(f"| button press to click, device closed (first press after idle) | {stats(closed)} |")
    ratio = statistics.median(map(abs, naive_spoken)) / statistics.median(map(abs, spoken))
    print(f"\nnaive / pre-rendered median onset error, speech-only cues: {ratio:.1f}x")
    low, high, period = min(everything), max(everything), 1000 * buffer / rate
    print(f"onsets: signed {low:+.1f} to {high:+.1f} ms (a buffer is {period:.1f} ms)")
    print(f"longest mixer stall: {watch.stall_ms(buffer * 1000 // rate):.1f} ms")
    print(f"press_feedback with the device closed (reopen + click): {stats_line(calls)}")
    loaded, took = reload
    print(f"speech loaded back after a reopen: {loaded} phrases in {took * 1000:.1f} ms")
    count, seconds = rendering
    print(
        f"render: {count} phrases of the bundled library in {seconds:.1f} s "
        f"({count / seconds:.0f} phrases/s); targets: onset p95 <= 25, max <= 50, press <= 60"
    )


if __name__ == "__main__":
    sys.exit(main())
