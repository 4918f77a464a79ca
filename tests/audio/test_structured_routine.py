"""End to end: a routine using repeats with a rest, phase words, four side switches and
a cue with {side} loads, plays through the real mixer on SDL's disk driver, and every
onset (the counts above all) is where the plan put it; the mirror shows it."""

from __future__ import annotations

from device.audio.speaker import Speaker
from device.core.routine import load_routine
from device.core.session import Session
from device.core.timeline import RANK_COUNT, plan
from device.core.view import RoutineView
from tests.audio_helpers import (
    PacedRecording,
    audio_config,
    groups,
    match,
    onsets,
    play_on_audio_clock,
    use_disk_audio,
)

STRUCTURED = """
title = "Structure test"
intro = "Go."
finish = "Done."

[defaults]
warning = "0s"
countdown = 1

[[step]]
name = "Breathe"
say = "Breathe."
duration = "8s"
count = ["In", "out"]
count_seconds = ["2s", "1.5s"]
repeat = 2
rest = "3s"

[[step]]
name = "Sweep"
say = "Sweep left."
duration = "12s"
sides = ["left", "right", "left", "right"]
switch = "{side}."
  [[step.cue]]
  at = "0.5s"
  say = "Soft {side}."
"""


def test_a_structured_routine_sounds_as_planned(tmp_path, monkeypatch):
    path = tmp_path / "structured.toml"
    path.write_text(STRUCTURED)
    routine = load_routine(path)
    assert [s.name for s in routine.steps] == ["Breathe (1/2)", "Rest", "Breathe (2/2)", "Sweep"]
    out = tmp_path / "speaker.pipe"
    use_disk_audio(monkeypatch, out, delay_ms=1)  # paced by the test: load cannot make it late
    config = audio_config(tmp_path)
    clock = PacedRecording(out, config.audio.frequency)
    speaker = Speaker(config, clock)
    speaker.prepare({"structured": routine})
    assert speaker.wait_ready(60)
    speaker.start(background=False)
    timeline = plan(routine, speaker.speech_length)
    try:
        handed = play_on_audio_clock(Session(timeline), speaker, clock)
        due = [(action.due, action.rank) for action in handed]
    finally:
        clock.finish()
        speaker.stop()
        clock.close()
    assert not speaker.queue.dropped  # nothing was drowned or turned into a tick
    heard = onsets(bytes(clock.audio), config.audio.frequency)
    planned = groups([when for when, _ in due])
    pairs, missed, extra = match(planned, heard)
    assert not missed and not extra, (heard, planned, missed, extra)
    for when, onset in pairs:
        assert -0.02 <= onset - when <= 0.25, (heard, planned)
    counts = [when for when, rank in due if rank == RANK_COUNT]
    assert len(counts) == 2 * 4  # In, out, In, out in each round
    assert all(any(abs(when - p) < 1e-6 for p, _ in pairs) for when in groups(counts))


def test_the_structured_routine_renders_on_the_mirror(tmp_path):
    """The side, the count's round and the cue's words, drawn with the real painter and
    compared with a reference image (regenerate as test_screen's docstring says)."""
    import pygame

    from device.display.screen import render
    from device.display.text import Fonts
    from tests.display.test_screen import LIMIT, REFERENCE, UPDATE, difference

    path = tmp_path / "structured.toml"
    path.write_text(STRUCTURED)
    timeline = plan(load_routine(path), lambda text: 0.8)  # fixed lengths: a stable picture
    sweep = timeline.steps[3]
    cue = next(c for c in sweep.cues if c.content == "Soft left.")
    view = RoutineView.of(timeline, 3, "running", cue.at + 0.5)
    assert (view.side, view.instruction, view.step_name) == ("left", "Soft left.", "Sweep")
    breathe = RoutineView.of(timeline, 2, "running", timeline.steps[2].parts[0].clock + 4.0)
    assert (breathe.rep, breathe.reps, breathe.step_name) == (2, 2, "Breathe (2/2)")
    for name, moment in (("structured-sides", view), ("structured-rounds", breathe)):
        image = render(moment, (480, 320), True, Fonts(bundled=True))
        reference = REFERENCE / f"{name}-480x320.png"
        if UPDATE:
            pygame.image.save(image, str(reference))
        assert difference(image, pygame.image.load(str(reference))) < LIMIT, reference.name
