"""Sub-commands for the speaker: say, voices, warm."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import TextIO

from device.audio.engines import PIPER_HINT, piper_version, piper_voices
from device.audio.render import PhrasesFor, render_settled
from device.audio.speech import SpeechCache, espeak_problem, voices
from device.cli.routines import catalog_of, configured
from device.clock import MonotonicClock
from device.core.session import Say
from device.core.timeline import RANK_STEP, library_phrases

BAR = 30


def register(commands: argparse._SubParsersAction) -> None:
    say = commands.add_parser("say", help="speak TEXT through the live audio path")
    say.add_argument("text", nargs="+", help="what to say")
    say.set_defaults(run=run_say)
    listing = commands.add_parser("voices", help="list the voices espeak-ng and piper offer")
    listing.set_defaults(run=run_voices)
    warm = commands.add_parser("warm", help="render every phrase of the routines ahead of time")
    warm.set_defaults(run=run_warm)


def run_say(args: argparse.Namespace) -> int:
    """Render (through the cache, in every configured voice) and play exactly as the
    daemon would, then wait."""
    from device.audio.speaker import Speaker  # pygame loads only for the commands that play

    text = " ".join(args.text)
    speaker = Speaker(configured(args), MonotonicClock())
    if problem := espeak_problem():
        print(f"massage-timer: error: {problem}", file=sys.stderr)
        return 1
    report = speaker.cache.first.render([text])
    if report.failed:
        print(f"massage-timer: error: could not render: {report.failed[text]}", file=sys.stderr)
        return 1
    for layer in speaker.cache.better:  # waited for here: a one-off phrase, said once
        problem = layer.engine.problem() or layer.render([text]).failed.get(text)
        if problem:
            print(
                f"massage-timer: {layer.engine.name}: {problem}; espeak-ng speaks", file=sys.stderr
            )
    speaker.start(background=False)
    try:
        if not speaker.available:
            print("massage-timer: error: no audio device", file=sys.stderr)
            return 1
        now = speaker.clock.now()
        speaker.perform([Say(text, RANK_STEP, now)], now)
        time.sleep(speaker.speech_length(text) + 0.3)  # let the mixer finish
    finally:
        speaker.stop()
    return 0


def run_voices(args: argparse.Namespace) -> int:
    if problem := espeak_problem():
        print(f"massage-timer: error: {problem}", file=sys.stderr)
        return 1
    found = voices()
    width = max((len(v[0]) for v in found), default=2)
    for ident, name, languages in sorted(found):
        print(f"espeak  {ident:<{width}}  {languages:<8}  {name}")
    config = configured(args)
    neural = piper_voices(config.voice.piper_voice)
    for model, where in neural:
        print(f"piper   {model}  {where}")
    print(f'{len(found)} espeak-ng voices; set one with [voice] voice = "..."', file=sys.stderr)
    if piper_version() is None:
        print(f"piper is not installed; install it with: {PIPER_HINT}", file=sys.stderr)
    else:
        print(
            f'{len(neural)} piper voices; use them with [voice] engine = "piper"', file=sys.stderr
        )
    return 0


def run_warm(args: argparse.Namespace) -> int:
    """Render the whole library now (after an edit over SSH) in every configured voice,
    each with a progress bar."""
    from device.audio.speaker import Speaker

    config = configured(args)
    catalog = catalog_of(args, config)
    if problem := espeak_problem():
        print(f"massage-timer: error: {problem}", file=sys.stderr)
        return 1
    routines = catalog.routines.values()
    speech = Speaker(config, MonotonicClock()).cache

    def wanted(length: Callable[[str], float]) -> list[str]:
        return sorted(library_phrases(routines, length))

    failed = False
    for layer in speech.layers:
        if problem := layer.engine.problem():
            print(f"massage-timer: error: {layer.engine.name}: {problem}", file=sys.stderr)
            return 1
        failed |= not _warm_layer(layer, wanted, speech.length, len(catalog.routines))
    return 1 if failed else 0


def _warm_layer(
    cache: SpeechCache, wanted: PhrasesFor, length: Callable[[str], float | None], routines: int
) -> bool:
    """Render and prune one voice's cache with a progress bar; False if a phrase failed."""
    started = time.perf_counter()
    progress = Progress(sys.stderr)
    phrases, report = render_settled(cache, wanted, length, progress)
    progress.finish()
    cache.prune(phrases)
    seconds = time.perf_counter() - started
    for text, error in report.failed.items():
        print(f"could not render {text!r}: {error}")
    print(
        f"{cache.engine.name}: {len(phrases)} phrases for {routines} routines: "
        f"{len(report.rendered)} rendered, {len(report.cached)} already cached, "
        f"{len(report.failed)} failed ({seconds:.1f} s) in {cache.folder}",
        file=sys.stderr,
    )
    return not report.failed


class Progress:
    """Rendering progress: a bar redrawn in place on a terminal; elsewhere (a pipe, a log,
    the journal) a plain line every tenth of the way, so the output stays readable."""

    def __init__(self, stream: TextIO) -> None:
        self.stream, self.tty = stream, stream.isatty()
        self.tenths = 0  # tenths already reported as lines

    def __call__(self, done: int, total: int, text: str) -> None:
        if self.tty:
            filled = BAR * done // total
            line = f"\r[{'#' * filled}{'.' * (BAR - filled)}] {done}/{total}"
            print(line, end="", file=self.stream, flush=True)
        elif 10 * done // total > self.tenths:
            self.tenths = 10 * done // total
            print(f"rendered {done}/{total} phrases", file=self.stream, flush=True)

    def finish(self) -> None:
        if self.tty:
            print(file=self.stream)  # end the bar's line
