"""Piper benchmark: render rate, the whole bundled library, and an edited routine's wait.

Run: ``.venv/bin/python bench/bench_piper.py`` (a few minutes; skipped, with a message,
when piper is not installed: ``PIPER=1 make setup``). Prints a markdown table.

Everything is rendered as the daemon does it: the render worker with espeak-ng as the
first layer and Piper behind it (a child process at low priority, one pinned thread),
into a fresh cache in a temporary folder. The routine with the most speech is requested
first, as the daemon puts the selected routine first after an edit, so "edited routine
in the new voice" is how long a routine whose every phrase is new waits for Piper. The
real-time factor (RTF) is the renderer's CPU seconds (and wall seconds) per second of
speech rendered.
"""

from __future__ import annotations

import argparse
import logging
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from device.audio.engines import Espeak, Piper  # noqa: E402
from device.audio.layers import SpeechLayers  # noqa: E402
from device.audio.render import RenderWorker  # noqa: E402
from device.audio.speech import SpeechCache  # noqa: E402
from device.config.paths import BUNDLED_ROUTINES  # noqa: E402
from device.core.catalog import load_catalog  # noqa: E402
from device.core.timeline import library_phrases  # noqa: E402
from device.once import Once  # noqa: E402


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*.wav")) / 2**20


class Timings:
    """When the worker said the first layer was ready, and when each better phrase came."""

    def __init__(self, started: float, wanted: set[str]) -> None:
        self.started, self.wanted = started, set(wanted)
        self.ready = self.routine_done = self.cpu_at_ready = self.routine_speech = 0.0

    def on_ready(self, lengths: dict[str, float]) -> None:
        self.ready = time.perf_counter() - self.started
        self.cpu_at_ready = child_cpu()  # the espeak-ng child has ended: Piper's is the rest

    def on_better(self, text: str, seconds: float) -> None:
        self.wanted.discard(text)
        if not self.wanted and not self.routine_done:
            self.routine_done = time.perf_counter() - self.started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    piper = Piper(threads=args.threads)
    if problem := piper.problem():
        print(f"bench_piper: skipped: {problem}")
        return 0
    routines = load_catalog([BUNDLED_ROUTINES]).routines
    longest = max(routines.values(), key=lambda r: len(library_phrases([r])))
    first = sorted(library_phrases([longest]))
    phrases = first + sorted(library_phrases(routines.values()) - set(first))
    with tempfile.TemporaryDirectory(prefix="bench-piper-") as temp:
        folder = Path(temp)
        speech = SpeechLayers(
            [SpeechCache(folder, Espeak("en", 150)), SpeechCache(folder / "piper", piper)]
        )
        timings = Timings(time.perf_counter(), set(first))
        once = Once(logging.getLogger("bench"))
        worker = RenderWorker(speech, once, timings.on_ready, timings.on_better)
        worker.request(lambda length: phrases)
        finished = worker.idle.wait(3600)  # the Piper child is closed and reaped by then
        wall = time.perf_counter() - timings.started
        worker.stop()
        cpu = child_cpu() - timings.cpu_at_ready
        failed = [t for t in phrases if speech.better[0].length(t) is None]
        speech_seconds = sum(speech.better[0].length(t) or 0.0 for t in phrases)
        timings.routine_speech = sum(speech.better[0].length(t) or 0.0 for t in first)
        report(args, phrases, first, longest.name, timings, speech_seconds, cpu, wall, folder)
        for text in failed:
            print(f"piper failed (espeak-ng speaks it): {text!r}")
    return 0 if finished and not failed else 1


def report(args, phrases, first, name, timings, speech_seconds, cpu, wall, folder) -> None:
    print(f"| measure (piper, {args.threads} thread, nice 10) | value |")
    print("|---|---|")
    print(f"| phrases in the bundled library | {len(phrases)} ({speech_seconds / 60:.1f} min) |")
    print(f"| espeak-ng first layer ready | {timings.ready:.1f} s |")
    print(
        f"| edited routine in the new voice ({name}, {len(first)} phrases, "
        f"{timings.routine_speech:.0f} s of speech) | {timings.routine_done:.1f} s |"
    )
    print(f"| whole library in the new voice | {wall:.0f} s |")
    print(f"| RTF, Piper's CPU s per s of speech | {cpu / speech_seconds:.3f} |")
    print(f"| RTF, wall s per s of speech | {wall / speech_seconds:.3f} |")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"| peak memory of a renderer child | {peak:.0f} MB |")
    print(
        f"| cache size: espeak-ng / piper | {folder_mb(folder) - folder_mb(folder / 'piper'):.1f}"
        f" / {folder_mb(folder / 'piper'):.1f} MB |"
    )


if __name__ == "__main__":
    sys.exit(main())
