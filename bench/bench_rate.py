"""Rate benchmark: does every fresh renderer speak at the configured rate?

Run: ``.venv/bin/python bench/bench_rate.py`` (about 2 minutes; prints a markdown table).

One phrase is rendered at a rate that is not pyttsx3's 200 wpm default, each time by
a fresh ``SpeechCache`` in its own empty folder, so each render starts a new worker
process: the moment a rate setting can be lost. The reference is the same phrase
rendered by the ``espeak-ng`` command line at that rate and trimmed the same way; a
render more than 10 % away from it came out at the wrong rate. The cache's report
also says how often a synthesis had to be done again, and why.

``--runs N`` renders N times instead of 300; ``--rate WPM`` another rate.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from device.audio.engines import Espeak  # noqa: E402
from device.audio.speech import SpeechCache  # noqa: E402
from tests.audio_helpers import espeak_cli_length  # noqa: E402

PHRASE = "Glide from the inner corners of your eyes out along the bone to your temples."
VOICE = "en"
TOLERANCE = 0.10  # a render this far from the reference length is at the wrong rate


def render_fresh(folder: Path, rate: int) -> tuple[float | None, list[str]]:
    """Length of the phrase rendered by a new cache (and so a new worker process), None
    if it failed, and why any synthesis had to be done again."""
    cache = SpeechCache(folder, Espeak(VOICE, rate))
    report = cache.render([PHRASE])
    return cache.length(PHRASE), report.redone.get(PHRASE, [])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--rate", type=int, default=150)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-rate-") as temp:
        folder = Path(temp)
        reference = espeak_cli_length(folder, PHRASE, VOICE, args.rate)
        started = time.monotonic()
        results = [render_fresh(folder / f"run-{run}", args.rate) for run in range(args.runs)]
        elapsed = time.monotonic() - started
    lengths = [length for length, _ in results]
    redone = Counter(reason.split(" at ")[0] for _, reasons in results for reason in reasons)
    failed = sum(length is None for length in lengths)
    rendered = [length for length in lengths if length is not None]
    wrong = [length for length in rendered if abs(length / reference - 1) > TOLERANCE]
    print(f"\n**Rate** ({args.runs} fresh workers, {args.rate} wpm, voice {VOICE!r}):\n")
    print("| measure | value |\n|---|---|")
    print(f"| reference length (espeak-ng CLI) | {reference:.2f} s |")
    print(f"| rendered at the wrong rate (>{TOLERANCE:.0%} off) | {len(wrong)} of {args.runs} |")
    print(f"| failed (no file) | {failed} of {args.runs} |")
    if wrong:
        print(f"| wrong lengths | {', '.join(f'{w:.2f}' for w in sorted(wrong))} s |")
    if rendered:
        low, high = min(rendered), max(rendered)
        print(
            f"| lengths: min / median / max | {low:.2f} / {statistics.median(rendered):.2f}"
            f" / {high:.2f} s |"
        )
    shown = ", ".join(f"{reason}: {count}" for reason, count in redone.items()) or "none"
    print(f"| syntheses done again (why: how often) | {shown} |")
    print(f"| time per fresh render | {1000 * elapsed / args.runs:.0f} ms |")


if __name__ == "__main__":
    main()
