"""The renderer process: phrases to WAV files through pyttsx3 and espeak-ng.

Both ends of it are here. ``Renderer`` (in the daemon) runs ``python -m
device.audio.synth VOICE RATE`` and writes it one JSON line per phrase,
``{"text", "path"}``; the child answers one line each, ``{"ok", "error", "redone"}``
(why a phrase had to be synthesized again, if it had).

Why it waits for espeak-ng. pyttsx3 2.99 runs espeak-ng in its asynchronous mode:
settings and phrases go onto a queue that a thread of espeak-ng's own works through.
``engine.setProperty`` is held by pyttsx3 until ``runAndWait``, which passes it on
and, in the same call, ends its loop with ``espeak_Cancel`` if espeak-ng is busy
(still applying pyttsx3's own startup settings, say). A cancel throws away the
command espeak-ng's thread has just taken off the queue without applying it, and
restores the parameters last applied. Now and then that command was the rate, and
the renderer spoke every phrase at pyttsx3's startup 200 words a minute.
``runAndWait`` also returns before the phrase is spoken (espeak-ng's thread writes
the file when it finishes), so a retry could cancel a synthesis in flight.

So here the voice and rate go to espeak-ng directly and are applied before the
first phrase, every phrase starts with espeak-ng idle and is waited for, and the
rate is read back after each phrase.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import select
import signal
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NamedTuple, Protocol, TextIO

ATTEMPTS = 3  # syntheses per phrase before it is reported as failed
WAV_HEADER = 44  # bytes: a file no bigger holds no audio
PR_SET_PDEATHSIG = 1  # linux/prctl.h
PARENT = "MASSAGE_TIMER_RENDERER_PARENT"  # the daemon's pid, in the child's environment


class Synthesizer:
    """pyttsx3's espeak engine, with the voice and rate settled before the first phrase."""

    def __init__(self, voice: str, rate: int) -> None:
        import pyttsx3
        from pyttsx3.drivers import _espeak

        self.espeak, self.voice, self.rate = _espeak, voice, rate
        self.engine = pyttsx3.init("espeak")
        # pyttsx3 declares espeak_GetParameter without its second argument, "current"
        self._parameter = _espeak.dll.espeak_GetParameter
        self._parameter.argtypes = [ctypes.c_int, ctypes.c_int]
        self._parameter.restype = ctypes.c_int
        self.settle()

    def settle(self) -> None:
        """Put the voice and rate in effect now, and check that they are."""
        espeak = self.espeak
        espeak.Synchronize()  # the driver's own settings (200 wpm) are applied first
        if espeak.SetVoiceByName(self.voice.encode()) != 0:
            raise ValueError(f"espeak-ng has no voice {self.voice!r}")
        espeak.SetParameter(espeak.RATE, self.rate, 0)
        espeak.Synchronize()  # applied: a cancel from now on restores it, never drops it
        if self.rate_in_effect() != self.rate:
            raise RuntimeError(f"espeak-ng kept {self.rate_in_effect()} words a minute")

    def rate_in_effect(self) -> int:
        return self._parameter(self.espeak.RATE, 1)  # 1: the current value, not the default

    def save(self, text: str, path: str, redone: list[str]) -> str:
        """Render ``text`` to ``path``: "" when done, else what went wrong. Each attempt
        that had to be made again adds why to ``redone``."""
        for _ in range(ATTEMPTS):
            self.espeak.Synchronize()  # idle, so runAndWait finds nothing to cancel
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            self.engine.save_to_file(text, path)
            self.engine.runAndWait()  # starts the synthesis and returns
            self.espeak.Synchronize()  # the file is written as the synthesis ends
            if self.rate_in_effect() != self.rate:
                redone.append(f"espeak-ng spoke at {self.rate_in_effect()} words a minute")
                self.settle()
            elif os.path.exists(path) and os.path.getsize(path) > WAV_HEADER:
                return ""
            else:
                redone.append("espeak-ng produced no audio")
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        return redone[-1]


class Saver(Protocol):
    """What a renderer child holds: an engine that saves one phrase to a WAV file."""

    def save(self, text: str, path: str, redone: list[str]) -> str: ...


def serve(start: Callable[[], Saver], requests: Iterable[str], replies: TextIO) -> None:
    """Answer each request line; a synthesizer that cannot start fails every phrase."""
    synthesizer: Saver | None = None
    try:
        synthesizer, broken = start(), ""
    except Exception as error:  # no such voice, no engine: each phrase says why
        broken = f"{type(error).__name__}: {error}"
    for line in requests:
        request, redone = json.loads(line), list[str]()
        try:
            failure = (
                synthesizer.save(request["text"], request["path"], redone)
                if synthesizer
                else broken
            )
        except Exception as problem:  # report anything; the parent decides
            failure = f"{type(problem).__name__}: {problem}"
        replies.write(json.dumps({"ok": not failure, "error": failure, "redone": redone}) + "\n")
        replies.flush()


def die_with_parent(parent: int) -> None:
    """Have the kernel SIGKILL this process when its parent ends, however it ends.

    A renderer stuck in a write (a full disk, a FIFO) never reads the EOF that a dead
    daemon leaves on its stdin, so without this it would outlive the daemon. Linux's
    prctl(PR_SET_PDEATHSIG) fires when the parent's *thread* that started this child
    ends; the daemon's render thread ends only when the daemon does.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        print(f"renderer: prctl: {os.strerror(ctypes.get_errno())}", file=sys.stderr)
    if os.getppid() != parent:  # the parent died before prctl: no signal will come
        os._exit(1)


def main(argv: list[str]) -> int:
    """``VOICE RATE``: serve requests from stdin until it closes."""
    if os.environ.get(PARENT, "").isdigit():
        die_with_parent(int(os.environ[PARENT]))
    replies = sys.stdout
    sys.stdout = sys.stderr  # pyttsx3's espeak driver prints "Audio saved to ..."
    serve(lambda: Synthesizer(argv[0], int(argv[1])), sys.stdin, replies)
    return 0


class Outcome(NamedTuple):
    """A phrase rendered (``error`` empty) or not, and what had to be done again."""

    error: str
    redone: tuple[str, ...] = ()


class _ChildFailed(Exception):
    """The renderer process hung, died or said something unreadable."""


class Renderer:
    """The daemon's end: a child process started on first use and again after it failed."""

    def __init__(self, command: list[str]) -> None:
        """``command`` starts the child (``python -m device.audio.synth VOICE RATE``)."""
        self.command = command
        self.process: subprocess.Popen | None = None

    def render(self, text: str, path: Path, timeout: float) -> Outcome:
        """Render ``text`` to ``path`` within ``timeout`` seconds (never raises for a child
        that fails)."""
        try:
            self.process = self.process or self._start()
        except OSError as problem:
            return Outcome(f"cannot start the renderer: {problem}")
        try:
            reply = self._ask({"text": text, "path": str(path)}, timeout)
        except _ChildFailed as failure:  # the next phrase gets a fresh child
            self.restart()
            return Outcome(str(failure))
        error = "" if reply.get("ok") else str(reply.get("error") or "render failed")
        return Outcome(error, tuple(reply.get("redone") or ()))

    def _start(self) -> subprocess.Popen:
        return subprocess.Popen(
            self.command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=Path(__file__).resolve().parents[2],
            env=os.environ | {PARENT: str(os.getpid())},  # the child dies with this process
        )

    def _ask(self, request: dict, timeout: float) -> dict:
        assert self.process is not None
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None  # both are pipes (see _start)
        try:
            stdin.write(json.dumps(request) + "\n")
            stdin.flush()
        except OSError as error:  # BrokenPipeError among them
            raise _ChildFailed(f"renderer stopped: {error}") from error
        ready, _, _ = select.select([stdout], [], [], timeout)
        if not ready:
            raise _ChildFailed("renderer timed out")
        line = stdout.readline()
        if not line:
            raise _ChildFailed("renderer stopped")
        try:
            reply = json.loads(line)
        except ValueError:
            reply = None
        if not isinstance(reply, dict):
            raise _ChildFailed(f"renderer said something unreadable: {line[:80]!r}")
        return reply

    def restart(self) -> None:
        """Close the child; the next phrase starts a fresh one."""
        self.close()
        self.process = None

    def close(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(OSError):
            if self.process.stdin:
                self.process.stdin.close()
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout:  # now, not whenever the garbage collector gets to it
            self.process.stdout.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
