"""The renderer process, with real espeak-ng through pyttsx3.

espeak-ng keeps one state per process, so whatever drives it directly runs in a
child process of its own, never in the test process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from device.audio.engines import Espeak
from device.audio.speech import _seconds, _trim
from device.audio.synth import Renderer
from tests.audio_helpers import espeak_cli_length

ROOT = Path(__file__).resolve().parents[2]
TEXT = "Glide from the inner corners of your eyes out along the bone to your temples."


SAVE_IN_A_CHILD = """
import json, sys
out, sys.stdout = sys.stdout, sys.stderr
from device.audio.synth import Synthesizer
synthesizer = Synthesizer("en", 120)
espeak = synthesizer.espeak
{meddle}
redone = []
error = synthesizer.save({text!r}, {path!r}, redone)
print(json.dumps([error, redone, synthesizer.rate_in_effect()]), file=out)
"""


def save_in_a_child(tmp_path: Path, meddle: str) -> list:
    """A fresh Synthesizer at 120 wpm, ``meddle`` done to espeak-ng, then one phrase
    saved to tmp_path/phrase.wav: [error, redone, rate in effect afterwards]."""
    script = SAVE_IN_A_CHILD.format(meddle=meddle, text=TEXT, path=str(tmp_path / "phrase.wav"))
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        # The test's own runtime folder too: without one, libpulse (espeak-ng's audio
        # library) makes a /tmp/pulse-* folder that outlives the test.
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "XDG_RUNTIME_DIR": os.environ["XDG_RUNTIME_DIR"],
        },
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def rendered_seconds(path: Path) -> float:
    _trim(path)
    return _seconds(path) or 0.0


def test_a_cancel_before_the_first_phrase_keeps_the_rate(tmp_path):
    # pyttsx3's runAndWait calls espeak_Cancel when espeak-ng is busy; a cancel drops
    # a setting espeak-ng has not applied yet. The rate is applied before the first
    # phrase, so a cancel then keeps it.
    assert save_in_a_child(tmp_path, "espeak.Cancel()") == ["", [], 120]
    reference = espeak_cli_length(tmp_path, TEXT, "en", 120)
    assert rendered_seconds(tmp_path / "phrase.wav") == pytest.approx(reference, rel=0.02)


def test_a_rate_lost_behind_its_back_is_caught_and_the_phrase_made_again(tmp_path):
    lose = "espeak.SetParameter(espeak.RATE, 200, 0); espeak.Synchronize()"  # as it was lost
    result = save_in_a_child(tmp_path, lose)
    assert result == ["", ["espeak-ng spoke at 200 words a minute"], 120]
    reference = espeak_cli_length(tmp_path, TEXT, "en", 120)
    assert rendered_seconds(tmp_path / "phrase.wav") == pytest.approx(reference, rel=0.02)


@pytest.mark.parametrize("rate", [90, 150, 260])
def test_a_fresh_renderer_speaks_at_the_configured_rate(tmp_path, rate):
    renderer = Renderer(Espeak("en", rate).command(sys.executable))
    try:
        outcome = renderer.render(TEXT, tmp_path / "phrase.wav", timeout=30)
    finally:
        renderer.close()
    assert outcome == ("", ())
    reference = espeak_cli_length(tmp_path, TEXT, "en", rate)
    assert rendered_seconds(tmp_path / "phrase.wav") == pytest.approx(reference, rel=0.02)


def test_an_unknown_voice_fails_each_phrase_with_the_reason(tmp_path):
    renderer = Renderer(Espeak("no-such-voice", 150).command(sys.executable))
    try:
        outcomes = [renderer.render(text, tmp_path / "x.wav", 30) for text in ("One.", "Two.")]
    finally:
        renderer.close()
    assert all("no voice 'no-such-voice'" in outcome.error for outcome in outcomes)
    assert not (tmp_path / "x.wav").exists()
