"""The speaker: pygame.mixer plays pre-rendered speech and the built-in sounds.

Mixer settings for a Pi: 22050 Hz (espeak-ng renders at 22050, so speech is
never resampled), 16-bit stereo (USB and HDMI outputs want two channels), and a
512-sample buffer: 23 ms per buffer keeps press-to-sound under 60 ms, while 256
underruns on a Pi 3 when Python's garbage collector runs and 1024 adds 23 ms to
every cue. Speech has two channels (one fades while the other starts), effects
four (a tick never cuts a ringing bell), and button clicks one of their own.

Who speaks is decided by ``SpeechQueue`` (pure, tested with a fake clock): two
phrases never overlap; a higher rank cuts a lower one short; a lower one waits
or, if stale, is dropped; a rep count that cannot be spoken becomes a tick, so
the beat stays. Sounds never wait: under speech they play ducked.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from device.audio_rules import DUCK, Phrase, QuietHours, SpeechQueue
from device.paths import cache_folder
from device.routine import Routine
from device.session import Action, Say, Sound, State, StateChanged, StepStarted
from device.sounds import BUILT_IN, pcm, resolve_sound
from device.speech import SpeechCache, espeak_problem
from device.timeline import RANK_STEP, RANK_TICK, all_phrases, plan

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame

log = logging.getLogger(__name__)

CHANNELS = 2
RETRY_EVERY = 10.0  # seconds between attempts to reopen a missing audio device
CHECK_EVERY = 2.0  # seconds between checks that the device is still there
LOADED = 48  # speech sounds kept decoded in memory (a Pi has little to spare)
FADE_MS = 30  # how fast a cut phrase fades, so it does not click


class Speaker:
    """The Output that speaks; construct as ``Speaker(config, clock)``."""

    def __init__(self, config: Mapping, clock, devices: Callable[[], list[str]] | None = None):
        voice, audio = config["voice"], config["audio"]
        self.clock, self.enabled = clock, audio["enabled"]
        folder = cache_folder(audio["cache"]) / "speech" if not audio["cache"] else audio["cache"]
        self.cache = SpeechCache(Path(folder), voice["voice"], voice["rate"], audio["cache_mb"])
        self.quiet = QuietHours.parse(voice["quiet_hours"])
        self.volumes = (voice["volume"], audio["effects_volume"], voice["quiet_volume"])
        self.frequency, self.buffer = audio["frequency"], audio["buffer"]
        self.sounds_folder = audio["sounds"]
        self.ready = threading.Event()
        self.queue = SpeechQueue()
        self.devices = devices or _device_names
        self._lock = threading.RLock()
        self._wake = threading.Condition(self._lock)
        self._sounds: dict[str, pygame.mixer.Sound] = {}
        self._speech: OrderedDict[str, pygame.mixer.Sound] = OrderedDict()
        self._open = False
        self._retry_at = self._check_at = 0.0
        self._warned: set[str] = set()
        self._lengths: dict[str, float] = {}
        self._render = _RenderWorker(self)
        self._thread: threading.Thread | None = None
        self._running = False

    # -- the Output protocol -------------------------------------------------

    def start(self, background: bool = True) -> None:
        """Open the mixer (or say once why not); ``background`` runs the speech pump."""
        if not self.enabled:
            log.info("audio disabled in the config: display only")
            return
        self._reopen(self.clock.now())
        if background:
            self._running = True
            self._thread = threading.Thread(target=self._run, name="speaker", daemon=True)
            self._thread.start()

    def prepare(self, routines: Mapping[str, Routine]) -> None:
        """Render every phrase of ``routines`` in a worker; ``ready`` is set when done."""
        phrases: set[str] = set()
        for routine in routines.values():
            phrases |= all_phrases(plan(routine))
        self.ready.clear()
        self._render.request(phrases)

    def perform(self, actions: Sequence[Action], now: float) -> None:
        with self._lock:
            if any(isinstance(a, StepStarted) for a in actions) and self.queue.current:
                self._cut()  # a new step silences the old one's leftovers
                self.queue.pending.clear()
            stopped = any(_is(a, State.DONE) or _is(a, State.PAUSED) for a in actions)
            if stopped:
                self.queue.drop_below(RANK_STEP)
                if not any(isinstance(a, Say) for a in actions):
                    self._cut()
            for action in actions:
                if isinstance(action, Say):
                    self._say(action, now)
                elif isinstance(action, Sound):
                    self._effect(action.name, now)
            self.pump(now)

    def show(self, view, now: float) -> None:
        return None

    def stop(self) -> None:
        self._render.stop()
        with self._lock:
            self._running = False
            self._wake.notify_all()
        if self._thread:
            self._thread.join(timeout=2)
        with self._lock:
            self._close()

    # -- for the daemon and the CLI ------------------------------------------

    @property
    def available(self) -> bool:
        """Whether a mixer is open (False: display only for now)."""
        return self._open

    def wait_ready(self, timeout: float | None = None) -> bool:
        return self.ready.wait(timeout)

    def press_feedback(self) -> None:
        """A short click the moment a button is pressed (the daemon calls this first)."""
        with self._lock:
            if self._open:
                self._guard(lambda: self._play(self._click, self._sounds["click"], 1.0))

    def speech_length(self, text: str) -> float:
        """Seconds ``text`` takes to say (for ``timeline.plan``); estimated if not rendered."""
        if text not in self._lengths:
            rendered = self.cache.length(text)
            if rendered is None:
                return 0.4 + 0.07 * len(text)  # ~150 words a minute
            self._lengths[text] = rendered
        return self._lengths[text]

    def pump(self, now: float) -> None:
        """Start the next waiting phrase if the speech channel is free; check the device."""
        with self._lock:
            if self.enabled and now >= self._check_at:
                self._check_device(now)
            phrase = self.queue.next(now)
            if phrase is not None and self._open:
                self._start(phrase)
            self._wake.notify_all()

    # -- speech --------------------------------------------------------------

    def _say(self, action: Say, now: float) -> None:
        sound = self._speech_sound(action.text)
        if sound is None:
            self._effect("chime", now)  # a phrase that failed to render: at least a chime
            return
        phrase = Phrase(action.text, action.rank, action.due, sound.get_length())
        verdict = self.queue.offer(phrase, now)
        if verdict == "cut":
            self._cut(keep_queue=True)
        if verdict in ("start", "cut"):
            self._start(phrase)
        elif verdict == "drop" and action.rank > RANK_TICK:
            self._effect("tick", now)  # a rep that cannot be said still keeps the beat

    def _speech_sound(self, text: str) -> pygame.mixer.Sound | None:
        if text in self._speech:
            self._speech.move_to_end(text)
            return self._speech[text]
        path = self.cache.cached(text)
        if path is None or not self._open:
            if path is None:
                self._warn(f"not rendered: {text!r}", f"no speech for {text!r}; playing a chime")
            return None
        sound = self._guard(lambda: pygame.mixer.Sound(str(path)))
        if sound is not None:
            self._speech[text] = sound
            while len(self._speech) > LOADED:
                self._speech.popitem(last=False)
        return sound

    def _start(self, phrase: Phrase) -> None:
        sound = self._speech_sound(phrase.text)
        if sound is None:
            return
        self._voice = self._voices[1] if self._voice is self._voices[0] else self._voices[0]
        self._guard(lambda: self._play(self._voice, sound, self._volume(0)))

    def _cut(self, keep_queue: bool = False) -> None:
        if self._open:
            self._guard(lambda: self._voice.fadeout(FADE_MS))
        if not keep_queue:
            self.queue.silence(self.clock.now())

    # -- effects -------------------------------------------------------------

    def _effect(self, name: str, now: float) -> None:
        if not self._open:
            return
        sound = self._sounds.get(name) or self._file_sound(name)
        if sound is None:
            return
        ducked = DUCK if self.queue.busy(now) else 1.0
        self._next_fx = (self._next_fx + 1) % len(self._fx)
        self._guard(lambda: self._play(self._fx[self._next_fx], sound, self._volume(1) * ducked))

    def _file_sound(self, name: str) -> pygame.mixer.Sound | None:
        path = resolve_sound(name, self.sounds_folder)
        if path is None:
            self._warn(f"sound:{name}", f"sound {name!r} is not a file in the sounds folder")
            return self._sounds["error"]
        sound = self._guard(lambda: pygame.mixer.Sound(str(path)))
        if sound is not None:
            self._sounds[name] = sound
        return sound

    def _volume(self, which: int) -> float:
        volume = self.volumes[which]
        return min(volume, self.volumes[2]) if self.quiet.now() else volume

    @staticmethod
    def _play(channel: pygame.mixer.Channel, sound: pygame.mixer.Sound, volume: float) -> None:
        channel.set_volume(volume)
        channel.play(sound)

    # -- the device: open, lose, find again ----------------------------------

    def _reopen(self, now: float) -> None:
        self._retry_at = now + RETRY_EVERY
        try:
            pygame.mixer.pre_init(self.frequency, -16, CHANNELS, self.buffer)
            pygame.mixer.init()
            rate, _, channels = pygame.mixer.get_init()
            pygame.mixer.set_num_channels(8)
            pygame.mixer.set_reserved(8)
            self._voices = [pygame.mixer.Channel(0), pygame.mixer.Channel(1)]
            self._voice, self._fx, self._next_fx = self._voices[0], [], 0
            self._fx = [pygame.mixer.Channel(i) for i in range(2, 6)]
            self._click = pygame.mixer.Channel(6)
            self._sounds = {n: pygame.mixer.Sound(buffer=pcm(n, rate, channels)) for n in BUILT_IN}
        except pygame.error as error:
            self._close()
            self._warn(
                "device",
                f"no audio device ({error}): display only, retrying every {RETRY_EVERY:g} s",
            )
            return
        self._open = True
        if {"device", "lost"} & self._warned:
            self._warned -= {"device", "lost"}  # a later loss is logged again, once
            log.info("audio device is back")

    def _check_device(self, now: float) -> None:
        self._check_at = now + CHECK_EVERY
        present = self._present()
        if self._open and present is False:
            self._lost("the audio device disappeared")
        elif not self._open and now >= self._retry_at and present is not False:
            self._reopen(now)

    def _present(self) -> bool | None:
        """Whether an output device is listed; None when SDL cannot say (mixer closed)."""
        try:
            return bool(self.devices())
        except Exception:  # pygame._sdl2 raises its own error type when audio is shut
            return None

    def _guard(self, call: Callable):
        """Run a mixer call; a mixer error means the device went away."""
        try:
            return call()
        except pygame.error as error:
            self._lost(str(error))
            return None

    def _lost(self, why: str) -> None:
        self._warn("lost", f"audio lost ({why}): the timer keeps time, retrying")
        self._close()
        self._retry_at = self.clock.now() + RETRY_EVERY / 5
        self.queue.silence(self.clock.now())

    def _close(self) -> None:
        self._open = False
        self._speech.clear()
        self._sounds = {}
        if pygame.mixer.get_init():
            pygame.mixer.quit()

    def _warn(self, key: str, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            log.warning(message)

    # -- the background pump -------------------------------------------------

    def _run(self) -> None:
        with self._lock:
            while self._running:
                now = self.clock.now()
                self.pump(now)
                wait = self.queue.wake_in(now)
                self._wake.wait(min(CHECK_EVERY, wait if wait is not None else CHECK_EVERY))


class _RenderWorker:
    """Renders phrase sets one after another in a thread; the newest request wins."""

    def __init__(self, speaker: Speaker) -> None:
        self.speaker = speaker
        self.wanted: set[str] | None = None
        self.change = threading.Condition()
        self.thread: threading.Thread | None = None
        self.stopping = False

    def request(self, phrases: set[str]) -> None:
        with self.change:
            self.wanted = set(phrases)
            self.change.notify()
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="render", daemon=True)
                self.thread.start()

    def stop(self) -> None:
        with self.change:
            self.stopping = True
            self.change.notify()

    def _run(self) -> None:
        problem = espeak_problem()
        while True:
            with self.change:
                while self.wanted is None and not self.stopping:
                    self.change.wait()
                if self.stopping:
                    return
                phrases, self.wanted = self.wanted, None
            if problem:
                self.speaker._warn("espeak", f"{problem}; chimes and display only")
            else:
                self._render(phrases)
            self.speaker.ready.set()

    def _render(self, phrases: set[str]) -> None:
        report = self.speaker.cache.render(sorted(phrases))
        for text, error in report.failed.items():
            log.warning("could not render %r (%s): a chime will play instead", text, error)
        self.speaker.cache.prune(phrases)
        self.speaker._lengths.clear()
        log.info(
            "speech ready: %d phrases (%d rendered, %d failed)",
            len(phrases),
            len(report.rendered),
            len(report.failed),
        )


def _is(action: Action, state: State) -> bool:
    return isinstance(action, StateChanged) and action.state is state


def _device_names() -> list[str]:
    from pygame._sdl2 import audio as sdl_audio

    return list(sdl_audio.get_audio_device_names(False))
