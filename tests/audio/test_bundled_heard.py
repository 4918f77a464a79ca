"""The bundled library as it will really be heard: every phrase rendered by espeak-ng,
played through the speaker's own rules, and not one cue lost."""

from __future__ import annotations

import pytest

from device.audio.layers import configured_speech
from device.cli.main import main
from device.core.audible import audible
from device.core.catalog import load_catalog
from device.core.timeline import all_phrases, estimated_length, plan
from tests.core_helpers import ROUTINES, dumps

NAMES = sorted(load_catalog([ROUTINES]).routines)


def _rendered_length(config):
    """Rendered lengths, as the speaker reads them (an estimate for a phrase the planner
    only tries on its way to the final plan; every phrase of that plan is rendered)."""
    cache, estimate = configured_speech(config), estimated_length(config.voice.rate)

    def length(text: str) -> float:
        seconds = cache.length(text)
        return estimate(text) if seconds is None else seconds

    return cache, length


@pytest.mark.parametrize("name", NAMES)
def test_every_cue_of_a_bundled_routine_is_heard_as_written(name, bundled_speech):
    cache, length = _rendered_length(bundled_speech)
    routine = load_catalog([ROUTINES]).routines[name]
    timeline = plan(routine, length)
    assert [text for text in all_phrases(timeline) if not cache.cached(text)] == []
    heard = audible(timeline, length)
    lost = [f"{h.describe()} at {h.due:.1f}s: {h.fate.value}, {h.why}" for h in heard.lost]
    assert lost == []
    counts = [h for h in heard.phrases if h.role == "count"]
    assert all(h.start is not None and h.start - h.due < 0.05 for h in counts)  # on the beat


def test_check_strict_finds_nothing_unheard_in_the_bundled_routines(
    bundled_speech, tmp_path, capsys
):
    config = tmp_path / "config.toml"
    config.write_text(dumps({"audio": {"cache": bundled_speech.audio.cache}}))
    code = main(["--config", str(config), "check", "--strict", str(ROUTINES)])
    out, err = capsys.readouterr()
    assert (code, out) == (0, "")
    assert "all good" in err
