"""Real espeak-ng through pyttsx3 renders into a content-addressed cache in tmp_path."""

from __future__ import annotations

import stat
import sys
import wave
from array import array

import pytest

from device.audio.engines import Espeak, Piper
from device.audio.speech import (
    LEAD_IN,
    SILENCE,
    SpeechCache,
    _trim,
    cache_key,
    engine_version,
    espeak_problem,
)
from tests.audio_helpers import espeak_cli_length


def _wav(path):
    with wave.open(str(path)) as wav:
        return wav.getparams(), array("h", wav.readframes(wav.getnframes()))


def test_espeak_is_found_here_and_named_in_the_engine_version():
    assert espeak_problem() is None
    assert "espeak-ng-1." in engine_version() and "pyttsx3-" in engine_version()


def test_a_phrase_renders_to_a_trimmed_mono_wav(tmp_path):
    cache = SpeechCache(tmp_path, Espeak("en", 150))
    report = cache.render(["Switch to your right side."])
    assert report.rendered == ["Switch to your right side."] and not report.failed
    params, data = _wav(cache.cached("Switch to your right side."))
    assert (params.nchannels, params.sampwidth, params.framerate) == (1, 2, 22050)
    assert 0.8 < len(data) / 22050 < 4
    first_loud = next(i for i, v in enumerate(data) if abs(v) >= SILENCE)
    assert first_loud == int(LEAD_IN * 22050)  # leading silence trimmed: it sounds when played
    assert cache.length("Switch to your right side.") == pytest.approx(len(data) / 22050)


def _within_a_rising_envelope(data, lead: int) -> bool:
    """Every lead-in sample under a line from 0 up to the silence level at the onset
    (each was under SILENCE before the fade; +1 for integer rounding)."""
    return all(abs(data[i]) <= SILENCE * i / lead + 1 for i in range(lead))


def test_the_lead_in_of_rendered_phrases_fades_in_so_the_start_never_clicks(tmp_path):
    """espeak-ng starts some phrases with a hum just under SILENCE ("Place…" does):
    kept as it is, its first sample is a step from zero, which clicks."""
    phrases = ["Switch to your right side.", "Ten seconds.", "Place your fingertips."]
    cache = SpeechCache(tmp_path, Espeak("en", 150))
    cache.render(phrases)
    hummed = 0
    for text in phrases:
        _, data = _wav(cache.cached(text))
        lead = next(i for i, v in enumerate(data) if abs(v) >= SILENCE)
        assert data[0] == 0 and _within_a_rising_envelope(data, lead), text
        hummed += any(data[:lead])
    assert hummed  # the check saw a lead-in that was not already silent


def test_trimming_fades_a_hum_in_along_a_straight_line(tmp_path):
    rate, hum, lead = 22050, 300, int(LEAD_IN * 22050)
    path = tmp_path / "hum.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setparams((1, 2, rate, 0, "NONE", "not compressed"))
        wav.writeframes(array("h", [hum] * 2000 + [8000, -8000] * 2000).tobytes())
    _trim(path)
    _, data = _wav(path)
    assert list(data[:lead]) == [hum * i // lead for i in range(lead)]  # 0, 6, 13, … 293
    assert data[lead] == 8000  # the first loud sample is left whole


def test_the_cache_hits_on_the_second_load_and_misses_when_voice_or_rate_change(tmp_path):
    phrases = ["Ten seconds.", "two", "Cheek lifter."]
    first = SpeechCache(tmp_path, Espeak("en", 150)).render(phrases)
    assert sorted(first.rendered) == sorted(phrases)
    again = SpeechCache(tmp_path, Espeak("en", 150)).render(phrases)
    assert sorted(again.cached) == sorted(phrases) and not again.rendered
    other_rate = SpeechCache(tmp_path, Espeak("en", 200)).render(phrases)
    assert sorted(other_rate.rendered) == sorted(phrases)
    other_voice = SpeechCache(tmp_path, Espeak("en-us", 150)).render(phrases)
    assert sorted(other_voice.rendered) == sorted(phrases)
    assert len(list(tmp_path.glob("*.wav"))) == 9


def test_the_rate_setting_reaches_espeak(tmp_path):
    text = "Stroke up to your hairline on each soft tick."
    slow, fast = SpeechCache(tmp_path, Espeak("en", 90)), SpeechCache(tmp_path, Espeak("en", 280))
    slow.render([text])
    fast.render([text])
    assert slow.length(text) > 1.5 * fast.length(text)  # ~2.9x; 1.0x if rate were ignored


def test_keys_depend_on_every_part():
    base = cache_key("two", ["en", 150, "e1"])
    others = [
        cache_key("three", ["en", 150, "e1"]),
        cache_key("two", ["en-us", 150, "e1"]),
        cache_key("two", ["en", 151, "e1"]),
        cache_key("two", ["en", 150, "e2"]),
    ]
    assert base not in others and len(set(others)) == 4


def test_each_engine_setting_is_in_the_key(tmp_path):
    espeak = SpeechCache(tmp_path, Espeak("en", 150)).path_for("two")
    piper = Piper(model=str(tmp_path / "voice.onnx"))
    changed = [
        piper,
        Piper(model=str(tmp_path / "other.onnx")),
        Piper(model=piper.model, pace=1.0),
        Piper(model=piper.model, level=0.5),
    ]
    names = {SpeechCache(tmp_path, engine).path_for("two") for engine in changed}
    assert len(names) == 4 and espeak not in names
    same = Piper(model=piper.model, threads=4)  # the thread count changes speed, not sound
    assert SpeechCache(tmp_path, same).path_for("two") in names


def test_the_render_timeout_grows_with_the_phrase(tmp_path):
    cache = SpeechCache(tmp_path, Espeak("en", 150), timeout=2)
    short, long = "Rest.", "Sweep up from the jaw to the temples, slowly, ten times, then rest."
    assert cache.timeout(long) > cache.timeout(short) + 3 > 5


def test_prune_removes_what_no_routine_uses(tmp_path):
    cache = SpeechCache(tmp_path, Espeak("en", 150))
    cache.render(["one", "two", "three"])
    (tmp_path / ".render-99-stale.wav").write_bytes(b"junk")
    assert cache.prune(["two"]) == 2
    assert cache.cached("two") and not cache.cached("one") and not cache.cached("three")
    assert not list(tmp_path.glob(".render-*"))


def test_prune_warns_when_the_phrases_in_use_exceed_the_limit(tmp_path, caplog):
    cache = SpeechCache(tmp_path, Espeak("en", 150), limit_mb=0)
    cache.render(["Keep your brows relaxed."])
    cache.prune(["Keep your brows relaxed."])
    assert cache.cached("Keep your brows relaxed.")
    assert "over the 0 MB limit" in caplog.text


def test_a_renderer_that_cannot_start_fails_each_phrase_without_raising(tmp_path):
    cache = SpeechCache(tmp_path, Espeak("en", 150), python=str(tmp_path / "no-such-python"))
    report = cache.render(["two", "three"])
    assert set(report.failed) == {"two", "three"} and not report.rendered


def test_a_hung_renderer_is_killed_after_its_timeout(tmp_path):
    hang = tmp_path / "hang"
    hang.write_text("#!/bin/sh\nexec sleep 30\n")
    hang.chmod(hang.stat().st_mode | stat.S_IEXEC)
    cache = SpeechCache(tmp_path / "cache", Espeak("en", 150), timeout=0.3, python=str(hang))
    report = cache.render(["two"])
    assert report.failed == {"two": "renderer timed out"}
    assert not list((tmp_path / "cache").glob("*.wav"))


def test_blank_and_duplicate_phrases_render_once(tmp_path):
    cache = SpeechCache(tmp_path, Espeak("en", 150))
    report = cache.render(["two", "two", "  ", ""])
    assert report.rendered == ["two"]


def test_a_garbled_reply_fails_that_phrase_only_and_the_pass_goes_on(tmp_path):
    child = tmp_path / "garbled-python"  # stands in for `python -m device.audio.synth`
    child.write_text("#!/bin/sh\nwhile read line; do echo 'Audio saved to nowhere'; done\n")
    child.chmod(0o755)
    cache = SpeechCache(tmp_path / "cache", Espeak("en", 150), python=str(child))
    report = cache.render(["One.", "Two."])  # never raises
    assert set(report.failed) == {"One.", "Two."}
    assert all("unreadable" in error for error in report.failed.values())


CUTTER = """
import json, os, sys, wave
sys.path.insert(0, os.getcwd())
from device.audio.synth import Synthesizer, serve

FRACTIONS, COUNTER = {fractions!r}, {counter!r}


def cut(path, fraction):
    with wave.open(path) as wav:
        params, frames = wav.getparams(), wav.readframes(wav.getnframes())
    with wave.open(path, "wb") as out:
        out.setparams(params)
        out.writeframes(frames[: int(len(frames) * fraction) // 2 * 2])


class Replies:
    def __init__(self, out, requests):
        self.out, self.requests, self.path = out, requests, ""

    def __iter__(self):
        for line in self.requests:
            self.path = json.loads(line)["path"]
            yield line

    def write(self, reply):
        done = int(open(COUNTER).read()) if os.path.exists(COUNTER) else 0
        open(COUNTER, "w").write(str(done + 1))
        if json.loads(reply)["ok"]:
            cut(self.path, FRACTIONS[min(done, len(FRACTIONS) - 1)])
        self.out.write(reply)

    def flush(self):
        self.out.flush()


replies = Replies(sys.stdout, sys.stdin)
sys.stdout = sys.stderr
serve(lambda: Synthesizer(sys.argv[-2], int(sys.argv[-1])), replies, replies)
"""


def cutting_python(tmp_path, *fractions: float) -> str:
    """A stand-in for the renderer's python: the real renderer, whose n-th phrase
    (counted across restarts) is cut to ``fractions[n]`` of its length."""
    script = tmp_path / "cutter.py"
    script.write_text(CUTTER.format(fractions=fractions, counter=str(tmp_path / "count")))
    launcher = tmp_path / "cutting-python"
    launcher.write_text(f'#!/bin/sh\nexec {sys.executable} {script} "$@"\n')
    launcher.chmod(0o755)
    return str(launcher)


PHRASE = "Glide from the inner corners of your eyes out along the bone to your temples."


def test_a_phrase_cut_short_is_rendered_again_and_stored_whole(tmp_path):
    cache = SpeechCache(
        tmp_path / "cache", Espeak("en", 150), python=cutting_python(tmp_path, 0.3, 1)
    )
    report = cache.render([PHRASE])
    assert report.rendered == [PHRASE] and not report.failed
    assert report.redone[PHRASE][0].startswith("rendered 1.")  # 30 % of about 4 s
    reference = espeak_cli_length(tmp_path, PHRASE, "en", 150)
    assert cache.length(PHRASE) == pytest.approx(reference, rel=0.02)


def test_a_phrase_that_stays_wrong_fails_and_nothing_is_stored(tmp_path):
    cache = SpeechCache(
        tmp_path / "cache", Espeak("en", 150), python=cutting_python(tmp_path, 0.3, 0.2)
    )
    report = cache.render([PHRASE])
    assert "expected" in report.failed[PHRASE] and not report.rendered
    assert cache.cached(PHRASE) is None
    assert not list((tmp_path / "cache").iterdir())  # no file, not even a temporary one


def test_a_good_cached_file_is_never_replaced(tmp_path):
    cache = SpeechCache(tmp_path, Espeak("en", 150))
    cache.render([PHRASE])
    before = cache.cached(PHRASE).read_bytes()
    broken = SpeechCache(tmp_path, Espeak("en", 150), python=cutting_python(tmp_path, 0.1))
    assert broken.render([PHRASE]).cached == [PHRASE]
    assert cache.cached(PHRASE).read_bytes() == before


@pytest.mark.parametrize("damage", [b"", b"RIFF", "no audio"])
def test_a_damaged_cached_file_is_rendered_again(tmp_path, damage):
    cache = SpeechCache(tmp_path, Espeak("en", 150))
    path = cache.path_for(PHRASE)
    if damage == "no audio":  # a whole header and no frames, as an empty render wrote
        with wave.open(str(path), "wb") as wav:
            wav.setparams((1, 2, 22050, 0, "NONE", "not compressed"))
    else:  # what a power cut can leave
        path.write_bytes(damage)
    assert cache.cached(PHRASE) is None and cache.length(PHRASE) is None
    assert cache.render([PHRASE]).rendered == [PHRASE]
    assert cache.length(PHRASE) > 3


def test_plausible_lengths_follow_the_text_and_the_rate(tmp_path):
    slow, fast = SpeechCache(tmp_path, Espeak("en", 90)), SpeechCache(tmp_path, Espeak("en", 250))
    slow_length = espeak_cli_length(tmp_path, PHRASE, "en", 90)
    fast_length = espeak_cli_length(tmp_path, PHRASE, "en", 250)
    assert slow.plausible(PHRASE, slow_length) and fast.plausible(PHRASE, fast_length)
    assert not slow.plausible(PHRASE, fast_length)  # 250 wpm where 90 was asked
    assert not slow.plausible(PHRASE, slow_length * 0.3)  # cut short
    assert not fast.plausible("two", 3.0)  # a single word running on
