"""Phrase -> WAV cache, rendered by one speech engine before a routine starts.

The live path only plays files from here. Rendering runs in a child process
(``python -m device.audio.synth VOICE RATE`` for espeak-ng, see synth.py; Piper's is
piper_synth.py): espeak-ng initialises once per process, its callback is global, and a
hung synthesis can then be killed with a timeout instead of freezing the daemon. Files
are named by a hash of the text, the engine, its version and settings (voice, rate,
pace...), so a change to any of them renders afresh. engines.py has the engines;
layers.py plays each phrase from the best engine that has rendered it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import subprocess
import sys
import wave
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Protocol

from device.audio.synth import Renderer

log = logging.getLogger(__name__)

RATE = 22050  # what pyttsx3's espeak driver writes
SILENCE = 400  # |sample| below this (about -38 dBFS) counts as silence when trimming
LEAD_IN = 0.002  # seconds kept (faded in) before the first sound: the onset stays whole
TAIL = 0.05  # seconds of quiet kept after the last sound
# bump when rendering or trimming changes, so cached files are made again (3: renders
# before it could be at pyttsx3's 200 words a minute instead of the configured rate)
FORMAT = 3
# A phrase rendered outside these multiples of its estimated length is wrong: cut short,
# run on, or far from its rate (the renderer itself checks the rate exactly). The
# estimate is rough: every bundled phrase renders at 0.65 to 1.8 times it, at 90 to
# 250 words a minute.
PLAUSIBLE = (0.5, 2.2)
INSTALL_HINT = "sudo apt-get install espeak-ng"

Progress = Callable[[int, int, str], None]


def espeak_problem() -> str | None:
    """Why speech cannot be rendered (with the fix), or None when espeak-ng is usable."""
    try:
        from pyttsx3.drivers import _espeak  # noqa: F401 -- loads libespeak-ng
    except Exception as error:  # OSError, or anything the driver raises while loading
        return f"espeak-ng is not available ({error}); install it with: {INSTALL_HINT}"
    return None


@functools.cache
def engine_version() -> str:
    """pyttsx3 and espeak-ng versions: part of every cache key."""
    try:
        espeak = (
            subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True, timeout=5)
            .stdout.split(":")[1]
            .split()[0]
        )
    except (OSError, IndexError, subprocess.SubprocessError):
        espeak = "unknown"
    return f"pyttsx3-{metadata.version('pyttsx3')}+espeak-ng-{espeak}"


def cache_key(text: str, engine: list[object]) -> str:
    """The file name of ``text`` rendered by an engine with these settings (its ``key``)."""
    blob = json.dumps([text, *engine, FORMAT], ensure_ascii=False).encode()
    return hashlib.sha256(blob).hexdigest()[:32]


@dataclass
class RenderReport:
    """What a render pass did: phrases rendered, found in the cache, and failed, and
    why any phrase had to be synthesized again."""

    rendered: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    redone: dict[str, list[str]] = field(default_factory=dict)


class Engine(Protocol):
    """A speech engine (see engines.py): its renderer child, key, pace and render time."""

    name: str
    plausible: tuple[float, float]  # multiples of the estimate a right render lasts
    startup: float  # seconds a renderer may take to start and say a short phrase
    per_second: float  # more seconds it may take for each second of speech

    def command(self, python: str) -> list[str]: ...
    def problem(self) -> str | None: ...
    def key(self) -> list[object]: ...
    def estimate(self) -> Callable[[str], float]: ...


class SpeechCache:
    """A folder of phrases rendered by one engine with its settings."""

    def __init__(
        self,
        folder: Path,
        engine: Engine,
        limit_mb: int = 200,
        timeout: float | None = None,
        python: str = sys.executable,
    ) -> None:
        """``timeout``: seconds a short phrase may take (the engine's own if None); a longer
        phrase gets the engine's ``per_second`` more for each second it should last."""
        self.folder, self.engine = Path(folder), engine
        self.limit = limit_mb * 1024 * 1024
        self.startup = engine.startup if timeout is None else timeout
        self.python = python
        self.estimate = engine.estimate()
        self._key = engine.key()

    def path_for(self, text: str) -> Path:
        return self.folder / f"{cache_key(text, self._key)}.wav"

    def timeout(self, text: str) -> float:
        """Seconds the renderer may take for ``text``: more for a longer phrase."""
        return self.startup + self.engine.per_second * self.estimate(text)

    def cached(self, text: str) -> Path | None:
        """The phrase's file if it is rendered and whole (else it is rendered again)."""
        path = self.path_for(text)
        return path if _seconds(path) else None

    def length(self, text: str) -> float | None:
        """Seconds the rendered phrase lasts, or None if it is not rendered."""
        return _seconds(self.path_for(text))

    def render(
        self,
        texts: Iterable[str],
        progress: Progress | None = None,
        interrupted: Callable[[], bool] = lambda: False,
    ) -> RenderReport:
        """Render every phrase not already cached, in order, until ``interrupted()``; a
        failure is reported, never raised."""
        report = RenderReport()
        todo: list[str] = []
        for text in dict.fromkeys(t for t in texts if t.strip()):
            (report.cached if self.cached(text) else todo).append(text)
        if not todo:
            return report
        self.folder.mkdir(parents=True, exist_ok=True)
        renderer = Renderer(self.engine.command(self.python))
        try:
            for done, text in enumerate(todo, start=1):
                if interrupted():
                    break
                error = self._render_one(renderer, text, report)
                if error:
                    report.failed[text] = error
                else:
                    report.rendered.append(text)
                if progress:
                    progress(done, len(todo), text)
        finally:
            renderer.close()
        return report

    def _render_one(self, renderer: Renderer, text: str, report: RenderReport) -> str:
        """Render, check and store one phrase: "" when done, else what went wrong.

        The file goes in under its name only once it is whole and checked, so a failed
        or wrong render never replaces anything (and a reader never sees half a file).
        """
        final = self.path_for(text)
        temp = final.with_name(f".render-{os.getpid()}-{final.name}")
        try:
            seconds = self._attempt(renderer, text, temp, report)
            if not self.plausible(text, seconds):
                report.redone.setdefault(text, []).append(self._implausible(text, seconds))
                renderer.restart()  # the next try comes from a fresh process
                again = self._attempt(renderer, text, temp, report)
                # espeak-ng is deterministic: the same length twice is the phrase's length
                if not self.plausible(text, again) and abs(again - seconds) > 0.01 * seconds:
                    return self._implausible(text, again)
            _sync(temp)
            os.replace(temp, final)
            return ""
        except (_RenderFailed, OSError, EOFError, wave.Error) as problem:
            return str(problem) or type(problem).__name__
        finally:
            temp.unlink(missing_ok=True)

    def _attempt(self, renderer: Renderer, text: str, temp: Path, report: RenderReport) -> float:
        """Seconds of the phrase rendered and trimmed into ``temp``."""
        outcome = renderer.render(text, temp, self.timeout(text))
        if outcome.redone:
            report.redone.setdefault(text, []).extend(outcome.redone)
        if outcome.error:
            raise _RenderFailed(outcome.error)
        _trim(temp)
        return _seconds(temp) or 0.0

    def plausible(self, text: str, seconds: float) -> bool:
        """Whether a phrase rendered this long can be right for its text and rate."""
        low, high = self.engine.plausible
        return low * self.estimate(text) <= seconds <= high * self.estimate(text)

    def _implausible(self, text: str, seconds: float) -> str:
        return f"rendered {seconds:.2f} s long, about {self.estimate(text):.2f} s expected"

    def prune(self, keep: Iterable[str]) -> int:
        """Delete cached phrases no routine uses; return how many were removed."""
        wanted = {self.path_for(text).name for text in keep}
        removed = 0
        for path in self.folder.glob("[!.]*.wav"):
            if path.name not in wanted:
                path.unlink(missing_ok=True)
                removed += 1
        for path in self.folder.glob(".render-*"):
            path.unlink(missing_ok=True)  # left over from a crash
        size = sum(p.stat().st_size for p in self.folder.glob("[!.]*.wav"))
        if size > self.limit:
            log.warning(
                "speech cache holds %.0f MB for the routines in use, over the %d MB limit",
                size / 2**20,
                self.limit // 2**20,
            )
        return removed


class _RenderFailed(Exception):
    """The renderer reported that a phrase failed."""


def _seconds(path: Path) -> float | None:
    """Seconds of audio in a WAV file; None if it is missing, unreadable or empty."""
    with (
        contextlib.suppress(OSError, EOFError, ZeroDivisionError, wave.Error),
        wave.open(str(path)) as wav,
    ):
        return wav.getnframes() / wav.getframerate() or None
    return None


def _sync(path: Path) -> None:
    """Flush a file to the disk, so a power cut never leaves an empty file by its name."""
    with open(path, "rb") as file:
        os.fsync(file.fileno())


def _trim(path: Path) -> None:
    """Cut leading and trailing silence, so a phrase sounds the moment it is played."""
    with wave.open(str(path)) as wav:
        params, frames = wav.getparams(), wav.readframes(wav.getnframes())
    data = array("h", frames)
    if params.sampwidth != 2 or params.nchannels != 1 or not data:
        raise wave.Error(f"unexpected speech format {params}")
    first = next((i for i, v in enumerate(data) if abs(v) >= SILENCE), None)
    if first is None:
        raise wave.Error("the renderer produced silence")
    last = len(data) - next(i for i, v in enumerate(reversed(data)) if abs(v) >= SILENCE)
    start = max(0, first - int(LEAD_IN * params.framerate))
    end = min(len(data), last + int(TAIL * params.framerate))
    kept = data[start:end]
    for i in range(first - start):  # the lead-in rises from zero, so the start never clicks
        kept[i] = kept[i] * i // (first - start)
    with wave.open(str(path), "wb") as out:
        out.setparams(params)
        out.writeframes(kept.tobytes())


def voices() -> list[tuple[str, str, str]]:
    """(id, name, languages) of every espeak-ng voice, through pyttsx3."""
    import pyttsx3

    with contextlib.redirect_stdout(sys.stderr):
        engine = pyttsx3.init("espeak")
        found = engine.getProperty("voices")
    return [(v.id, v.name, ",".join(v.languages or [])) for v in found]
