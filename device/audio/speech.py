"""Phrase -> WAV cache, rendered with pyttsx3 (espeak-ng) before a routine starts.

The live path only plays files from here. Rendering runs in a child process
(``python -m device.audio.speech worker VOICE RATE``): espeak-ng initialises once per
process, its callback is global, and a hung synthesis can then be killed with a
timeout instead of freezing the daemon. Files are named by a hash of the text,
voice, rate and engine version, so a change to any of them renders afresh.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import select
import subprocess
import sys
import wave
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from device.config.paths import cache_folder
from device.config.schema import Config

log = logging.getLogger(__name__)

RATE = 22050  # what pyttsx3's espeak driver writes
SILENCE = 400  # |sample| below this (about -38 dBFS) counts as silence when trimming
LEAD_IN = 0.002  # seconds kept (faded in) before the first sound: the onset stays whole
TAIL = 0.05  # seconds of quiet kept after the last sound
FORMAT = 2  # bump when rendering or trimming changes, so cached files are made again
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


def cache_key(text: str, voice: str, rate: int, engine: str) -> str:
    blob = json.dumps([text, voice, rate, engine, FORMAT], ensure_ascii=False).encode()
    return hashlib.sha256(blob).hexdigest()[:32]


@dataclass
class RenderReport:
    """What a render pass did: phrases rendered, found in the cache, and failed."""

    rendered: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


class SpeechCache:
    """A folder of rendered phrases for one voice and rate."""

    def __init__(
        self,
        folder: Path,
        voice: str,
        rate: int,
        limit_mb: int = 200,
        timeout: float = 10.0,
        python: str = sys.executable,
    ) -> None:
        self.folder, self.voice, self.rate = Path(folder), voice, rate
        self.limit = limit_mb * 1024 * 1024
        self.timeout, self.python = timeout, python

    def path_for(self, text: str) -> Path:
        key = cache_key(text, self.voice, self.rate, engine_version())
        return self.folder / f"{key}.wav"

    def cached(self, text: str) -> Path | None:
        path = self.path_for(text)
        return path if path.is_file() else None

    def length(self, text: str) -> float | None:
        """Seconds the rendered phrase lasts, or None if it is not rendered."""
        path = self.cached(text)
        if path is None:
            return None
        with contextlib.suppress(OSError, wave.Error), wave.open(str(path)) as wav:
            return wav.getnframes() / wav.getframerate()
        return None

    def render(self, texts: Iterable[str], progress: Progress | None = None) -> RenderReport:
        """Render every phrase not already cached; a failure is reported, never raised."""
        report = RenderReport()
        todo = []
        for text in dict.fromkeys(t for t in texts if t.strip()):
            (report.cached if self.cached(text) else todo).append(text)
        if not todo:
            return report
        self.folder.mkdir(parents=True, exist_ok=True)
        worker: _Worker | None = None
        try:
            for done, text in enumerate(todo, start=1):
                try:
                    worker = worker or _Worker(self.python, self.voice, self.rate)
                    error = self._render_one(worker, text)
                except OSError as problem:  # the renderer cannot even start
                    error = f"cannot start the renderer: {problem}"
                if error:
                    report.failed[text] = error
                    if worker and worker.broken:  # hung or died: the next phrase gets a fresh one
                        worker.close()
                        worker = None
                else:
                    report.rendered.append(text)
                if progress:
                    progress(done, len(todo), text)
        finally:
            if worker:
                worker.close()
        return report

    def _render_one(self, worker: _Worker, text: str) -> str:
        final = self.path_for(text)
        temp = final.with_name(f".render-{os.getpid()}-{final.name}")
        try:
            error = worker.render(text, temp, self.timeout)
            if not error:
                _trim(temp)
                os.replace(temp, final)  # atomic: a reader never sees half a file
            return error
        except (OSError, EOFError, wave.Error) as problem:
            return str(problem) or type(problem).__name__
        finally:
            temp.unlink(missing_ok=True)

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


def configured_cache(config: Config) -> SpeechCache:
    """The speech cache the config names (the user's cache folder unless it says)."""
    voice, audio = config.voice, config.audio
    folder = Path(audio.cache) if audio.cache else cache_folder() / "speech"
    return SpeechCache(folder, voice.voice, voice.rate, audio.cache_mb)


class _Worker:
    """One rendering child process, spoken to in JSON lines."""

    def __init__(self, python: str, voice: str, rate: int) -> None:
        self.broken = False
        command = [python, "-m", "device.audio.speech", "worker", voice, str(rate)]
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=Path(__file__).resolve().parents[2],
        )

    def render(self, text: str, path: Path, timeout: float) -> str:
        """Render ``text`` to ``path``; return "" or what went wrong."""
        try:
            self.process.stdin.write(json.dumps({"text": text, "path": str(path)}) + "\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError) as error:
            self.broken = True
            return f"renderer stopped: {error}"
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        line = self.process.stdout.readline() if ready else ""
        if not line:
            self.broken = True
            return "renderer timed out" if not ready else "renderer stopped"
        try:
            reply = json.loads(line)
        except ValueError:  # garbled: this phrase fails and the next gets a fresh child
            self.broken = True
            return f"renderer said something unreadable: {line[:80]!r}"
        return "" if reply.get("ok") else reply.get("error", "render failed")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.process.stdin.close()
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


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


def _worker_main(voice: str, rate: int) -> int:
    """The child process: render each requested phrase with pyttsx3.save_to_file."""
    import pyttsx3

    replies = sys.stdout
    sys.stdout = sys.stderr  # the espeak driver prints "Audio saved to ..."
    engine = pyttsx3.init("espeak")
    engine.setProperty("voice", voice)
    engine.setProperty("rate", rate)
    for line in sys.stdin:
        request = json.loads(line)
        try:
            ok = _save(engine, request["text"], request["path"])
            reply = {"ok": ok, "error": "" if ok else "espeak-ng produced no audio"}
        except Exception as error:  # report anything; the parent decides
            reply = {"ok": False, "error": f"{type(error).__name__}: {error}"}
        replies.write(json.dumps(reply) + "\n")
        replies.flush()
    return 0


def _save(engine, text: str, path: str, attempts: int = 3) -> bool:
    """save_to_file + runAndWait (in this child only: never on the live path).

    pyttsx3 2.99's espeak driver sometimes returns without writing the first long
    phrase of an engine; trying again renders it.
    """
    for _ in range(attempts):
        engine.save_to_file(text, path)
        engine.runAndWait()
        if os.path.exists(path) and os.path.getsize(path) > 44:
            return True
    return False


if __name__ == "__main__" and sys.argv[1:2] == ["worker"]:
    sys.exit(_worker_main(sys.argv[2], int(sys.argv[3])))
