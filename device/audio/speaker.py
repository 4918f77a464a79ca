"""The speaker: pre-rendered speech and the built-in sounds, played through the Mixer.

Who speaks is decided by ``SpeechQueue`` (pure, tested with a fake clock): two
phrases never overlap; a higher rank cuts a lower one short; a lower one waits
or, if stale, is dropped; a rep count that cannot be spoken becomes a tick, so
the beat stays. Sounds never wait: under speech they play ducked. The device
itself (channels, buffer size, a speaker unplugged and plugged back) is
``device.audio.mixer``.

Between routines the device closes after ``[audio] idle_close`` quiet seconds (``show`` says
whether a routine is on and asks to be called when the spell ends) and the next
press or sound reopens it: an I2S amp may pop once then, under the click, but the
mirror stops mixing silence for the ~23 hours a day it is idle (see device.audio.mixer).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence

from device.audio.layers import configured_speech
from device.audio.mixer import CHECK_EVERY, Mixer
from device.audio.mixer import Output as AudioOutput
from device.audio.render import RenderWorker
from device.audio.sounds import resolve_sound
from device.clock import Clock
from device.config.schema import Config
from device.core.outputs import Output
from device.core.plan_memo import PlanMemo
from device.core.routine import Routine
from device.core.session import Action, Say, Sound
from device.core.speech_rules import DUCK, Fade, Phrase, QuietHours, Speak, SpeechQueue
from device.core.timeline import BROKEN_NEW_FILE
from device.core.view import RoutineView
from device.once import Once

log = logging.getLogger(__name__)

LOADED = 48  # speech sounds kept decoded in memory (a Pi has little to spare)
IN_PROGRESS = ("running", "paused", "waiting")  # never closed: resume must be instant


class Speaker(Output):
    """The Output that speaks; construct as ``Speaker(config, clock)``."""

    role = "speaker"

    def __init__(
        self, config: Config, clock: Clock, devices: Callable[[], list[str]] | None = None
    ) -> None:
        voice, audio = config.voice, config.audio
        self.clock, self.enabled = clock, audio.enabled
        self.cache = configured_speech(config)  # each phrase from the best voice that has it
        self.estimate = self.cache.first.estimate  # espeak-ng's: the layer every phrase has
        self.quiet = QuietHours.parse(voice.quiet_hours)
        self.volumes = (voice.volume, audio.effects_volume, voice.quiet_volume)
        self.sounds_folder = audio.sounds
        self.ready = threading.Event()
        self.queue = SpeechQueue()
        self.once = Once(log)
        output = AudioOutput(audio.device, audio.idle_close)
        self.mixer = Mixer(
            audio.frequency,
            audio.buffer,
            clock,
            devices,
            self._forget_sounds,
            self.once,
            output,
        )
        self._lock = threading.RLock()
        self._wake = threading.Condition(self._lock)
        self._speech: OrderedDict[str, object] = OrderedDict()  # text -> pygame Sound
        self._files: dict[str, object] = {}  # sound file name -> pygame Sound
        self._lengths: dict[str, float] = {}
        self._reload: list[str] = []  # phrases loaded when the mixer closed, oldest first
        self._plans = PlanMemo()  # each routine planned again only when it changed
        self._render = RenderWorker(
            self.cache, self.once, self._rendered, self._improved, clock.now
        )
        self._thread: threading.Thread | None = None
        self._running = False

    def _rendered(self, lengths: dict[str, float]) -> None:
        """From the render thread: swap the lengths in whole (the loop thread may be reading
        the old dict, never cleared), then say speech is ready."""
        if lengths:
            self._lengths = lengths
        self.ready.set()

    def _improved(self, text: str, seconds: float) -> None:
        """From the render thread: ``text`` has a better voice's file now. Its length is
        swapped in (a new dict, as above) and the old sound dropped, so the next time it
        is planned and played it is the new file."""
        with self._lock:
            lengths = dict(self._lengths)
            lengths[text] = seconds
            self._lengths = lengths
            self._speech.pop(text, None)

    # -- the Output protocol -------------------------------------------------

    def start(self, background: bool = True) -> None:
        """Open the mixer (or say once why not); ``background`` runs the speech pump."""
        if not self.enabled:
            log.info("audio disabled in the config: display only")
            return
        self.mixer.reopen(self.clock.now())
        if background:
            self._running = True
            self._thread = threading.Thread(target=self._run, name="speaker", daemon=True)
            self._thread.start()

    def prepare(
        self, routines: Mapping[str, Routine], phrases: frozenset[str] = frozenset()
    ) -> None:
        """Render every phrase of ``routines`` and ``phrases`` in a worker, the first
        routine's first (the daemon puts the running or selected one there); ``ready`` is
        set when the first voice has them all (a better voice follows, phrase by phrase)."""
        ordered, extra = list(routines.values()), set(phrases)

        def wanted(length: Callable[[str], float]) -> list[str]:
            each = self._plans.phrases(ordered, length)  # in the render thread
            first = {BROKEN_NEW_FILE}.union(*each[:1])
            rest = first.union(*each[1:], extra)
            return [*sorted(first), *sorted(rest - first)]

        self.ready.clear()
        self._render.request(wanted)

    def perform(self, actions: Sequence[Action], now: float) -> None:
        with self._lock:
            if any(isinstance(a, Say | Sound) for a in actions):
                self._reopen(now)
            for play in self.queue.take(actions, now, self._phrase_length):
                if isinstance(play, Speak):
                    self._start(play.phrase)
                elif isinstance(play, Fade):
                    self.mixer.fade_voice()
                else:
                    self._effect(play.name, now)
            self.pump(now)

    def show(self, view, now: float) -> float | None:
        """Note whether a routine is on; returns when its quiet spell would close the device."""
        with self._lock:
            routine_on = isinstance(view, RoutineView) and view.state in IN_PROGRESS
            if routine_on:
                self._reopen(now)  # a routine started without a sound still gets a device
            self.mixer.routine(routine_on, now)
            return self._settle(now)

    def stop(self) -> None:
        self._render.stop()
        with self._lock:
            self._running = False
            self._wake.notify_all()
        if self._thread:
            self._thread.join(timeout=2)
        with self._lock:
            self.mixer.close()

    # -- for the daemon and the CLI ------------------------------------------

    @property
    def available(self) -> bool:
        """Whether a mixer is open or asleep (False: display only for now)."""
        return self.mixer.open or self.mixer.asleep

    def problem(self) -> str:
        """Why nothing can be heard now ('' when something can), for ``ctl status``."""
        return "" if self.available or not self.enabled else "no audio device"

    def wait_ready(self, timeout: float | None = None) -> bool:
        return self.ready.wait(timeout)

    def wait_voices(self, timeout: float | None = None) -> bool:
        """Wait until a better voice (Piper) has rendered, or failed, every phrase too."""
        return self._render.idle.wait(timeout)

    def press_feedback(self) -> None:
        """A short click the moment a button is pressed (the daemon calls this first);
        it reopens a device closed while idle, so the first press after idle clicks too."""
        with self._lock:
            self._reopen(self.clock.now())
            self.mixer.click(1.0)

    def phrase_lengths(self) -> Callable[[str], float]:
        return self.speech_length

    def speech_length(self, text: str) -> float:
        """Seconds ``text`` takes to say (for ``timeline.plan``); estimated if not rendered."""
        lengths = self._lengths  # the render thread swaps in a new dict; never clears this one
        if text not in lengths:
            rendered = self.cache.length(text)
            if rendered is None:
                return self.estimate(text)
            lengths[text] = rendered
        return lengths[text]

    def pump(self, now: float) -> None:
        """Start the next waiting phrase if the speech channel is free; check the device."""
        with self._lock:
            if self.enabled:
                self.mixer.check(now)
            phrase = self.queue.next(now)
            if phrase is not None and self.mixer.open:
                self._start(phrase)
            self._settle(now)  # a device found again between routines goes back to sleep
            self._wake.notify_all()

    def reload_one(self) -> bool:
        """Load back one phrase the mixer held when it closed (newest first); False: done."""
        with self._lock:
            while self._reload and self.mixer.open and len(self._speech) < LOADED:
                text = self._reload.pop()
                path = self.cache.cached(text)
                if text in self._speech or path is None:
                    continue
                sound = self.mixer.load(path)
                if sound is not None:
                    self._speech[text] = sound
                    self._speech.move_to_end(text, last=False)  # older than what was said since
                return True
            return False

    def _settle(self, now: float) -> float | None:
        return self.mixer.settle(now, bool(self.queue.pending) or self.queue.busy(now))

    def _reopen(self, now: float) -> None:
        if self.mixer.asleep and self.mixer.wake(now):
            self._wake.notify_all()  # the pump thread loads the phrases back

    # -- speech --------------------------------------------------------------

    def _phrase_length(self, text: str) -> float | None:
        sound = self._speech_sound(text)
        return None if sound is None else sound.get_length()

    def _speech_sound(self, text: str):
        if text in self._speech:
            self._speech.move_to_end(text)
            return self._speech[text]
        path = self.cache.cached(text)
        if path is None:
            self.once.warn(f"not rendered: {text!r}", f"no speech for {text!r}; playing a chime")
            return None
        sound = self.mixer.load(path)
        if sound is not None:
            self._speech[text] = sound
            while len(self._speech) > LOADED:
                self._speech.popitem(last=False)
        return sound

    def _start(self, phrase: Phrase) -> None:
        sound = self._speech_sound(phrase.text)
        if sound is not None:
            self.mixer.speak(sound, self._volume(0))

    # -- effects -------------------------------------------------------------

    def _effect(self, name: str, now: float) -> None:
        if not self.mixer.open:
            return
        sound = self.mixer.sounds.get(name) or self._file_sound(name)
        if sound is not None:
            ducked = DUCK if self.queue.busy(now) else 1.0
            self.mixer.effect(sound, self._volume(1) * ducked)

    def _file_sound(self, name: str):
        if name not in self._files:
            path = resolve_sound(name, self.sounds_folder)
            if path is None:
                message = f"sound {name!r} is not a file in the sounds folder"
                self.once.warn(f"sound:{name}", message)
                return self.mixer.sounds["error"]
            # A file pygame cannot read gets the error tone too, remembered so it is read once.
            self._files[name] = self.mixer.load(path) or self.mixer.sounds.get("error")
        return self._files[name]

    def _volume(self, which: int) -> float:
        volume = self.volumes[which]
        return min(volume, self.volumes[2]) if self.quiet.now() else volume

    def _forget_sounds(self) -> None:
        """The mixer closed: its sounds are gone (noted, to load back), and so is speech."""
        left = [text for text in self._reload if text not in self._speech]
        self._reload = (left + list(self._speech))[-LOADED:]
        self._speech.clear()
        self._files.clear()
        self.queue.silence(self.clock.now())

    # -- the background pump -------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._lock:  # released between two loads, so the loop thread gets in
                if not self._running:
                    return
                now = self.clock.now()
                self.pump(now)
                if not self.reload_one():
                    self._wake.wait(self.pump_wait(now))

    def pump_wait(self, now: float) -> float | None:
        """How long the pump thread may wait: for ever while the mixer sleeps and no one
        waits to speak (no wake-ups at all while idle), else until the next device check."""
        wait = self.queue.wake_in(now)
        if self.mixer.asleep:
            return wait
        return min(CHECK_EVERY, wait if wait is not None else CHECK_EVERY)
