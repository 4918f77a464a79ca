"""A reload that wants the phrases already rendered costs no render pass and no file read;
a changed phrase set renders only what is new; a failed phrase is tried again after a
back-off. Real espeak-ng, a real cache in tmp_path, the speaker's own render thread."""

from __future__ import annotations

import pytest

from device.audio.render import RETRY_FIRST
from device.audio.speaker import Speaker
from device.clock import FakeClock
from device.core.routine import load_routine
from tests.audio_helpers import ROUTINE_TOML, audio_config

CACHE_CALLS = ("render", "length", "cached", "prune")  # every way to reach the cache's files
OTHER_TOML = ROUTINE_TOML.replace('"Audio test"', '"Other"').replace("Brow.", "Jaw.")


class Recorder:
    """Records each call to the real cache's file methods, then makes it."""

    def __init__(self, cache, monkeypatch) -> None:
        self.calls: list[tuple[str, object]] = []
        for name in CACHE_CALLS:
            monkeypatch.setattr(cache, name, self._recorded(name, getattr(cache, name)))

    def _recorded(self, name, real):
        def call(*args, **kwargs):
            self.calls.append((name, args[0] if args else None))
            return real(*args, **kwargs)

        return call

    def rendered(self) -> list[list[str]]:
        """The phrases of each render call that had any to render."""
        return [list(texts) for name, texts in self.calls if name == "render" and texts]


def _routine(tmp_path, name, text):
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    return load_routine(path)


def _prepared(speaker, routines, phrases=frozenset()):
    speaker.prepare(routines, phrases)
    assert speaker.wait_voices(60) and speaker.wait_ready(0)


@pytest.fixture
def speaker(tmp_path):
    made = Speaker(audio_config(tmp_path), FakeClock())
    yield made
    made.stop()


@pytest.fixture
def library(tmp_path):
    return {
        "audio-test": _routine(tmp_path, "audio-test", ROUTINE_TOML),
        "other": _routine(tmp_path, "other", OTHER_TOML),
    }


def test_a_reload_wanting_the_same_phrases_renders_nothing_and_reads_no_file(
    speaker, library, monkeypatch
):
    _prepared(speaker, library)
    lengths = dict(speaker._lengths)
    recorder = Recorder(speaker.cache.first, monkeypatch)
    planned = speaker._plans.planned
    edited = {**library, "audio-test": _routine(speaker.cache.folder.parent, "x", ROUTINE_TOML)}
    for routines in (library, library, edited):  # saves that change no words
        _prepared(speaker, routines)
    assert recorder.calls == []
    assert speaker._plans.planned == planned + 1  # only the re-read file was planned again
    assert speaker._lengths == lengths  # every length still known before PLAY


def test_a_new_phrase_renders_only_that_phrase(speaker, library, monkeypatch):
    _prepared(speaker, library)
    recorder = Recorder(speaker.cache.first, monkeypatch)
    _prepared(speaker, library, frozenset({"Well done, see you tomorrow."}))
    assert recorder.rendered() == [["Well done, see you tomorrow."]]
    assert speaker.speech_length("Well done, see you tomorrow.") > 0.5
    opened = {text for name, text in recorder.calls if name in ("length", "cached")}
    assert opened == {"Well done, see you tomorrow."}  # no other phrase's file opened again


def test_a_failed_phrase_is_tried_again_after_a_back_off(speaker, library, monkeypatch):
    cache, clock = speaker.cache.first, speaker.clock
    real_render, broken = cache.render, {"on": True}

    def failing_jaw(texts, progress=None, interrupted=lambda: False):
        texts = list(texts)
        report = real_render([t for t in texts if t != "Jaw." or not broken["on"]])
        if "Jaw." in texts and broken["on"]:
            report.failed["Jaw."] = "renderer died"
        return report

    monkeypatch.setattr(cache, "render", failing_jaw)
    _prepared(speaker, library)
    assert cache.cached("Jaw.") is None and cache.cached("Brow.")
    recorder = Recorder(cache, monkeypatch)
    _prepared(speaker, library)  # a save at once: the whole set is not redone
    assert recorder.rendered() == []
    broken["on"] = False
    clock.advance(RETRY_FIRST)
    _prepared(speaker, library)  # after the back-off: only the failed phrase
    assert recorder.rendered() == [["Jaw."]]
    assert cache.cached("Jaw.") and speaker.speech_length("Jaw.") == cache.length("Jaw.")
    clock.advance(RETRY_FIRST * 10)
    _prepared(speaker, library)
    assert recorder.rendered() == [["Jaw."]]  # nothing failed now: nothing more to do
