"""The speaker: planning speech to fit, and the real mixer on SDL's disk driver."""

from __future__ import annotations

import logging
from datetime import datetime

import pygame
import pytest

from device.audio import Speaker
from device.audio_mixer import CHECK_EVERY, RETRY_EVERY
from device.audio_rules import DUCK, QuietHours
from device.clock import FakeClock
from device.routine import load_routine
from device.session import Command, Say, Session, Sound, State, StepStarted
from device.timeline import (
    RANK_COUNT,
    RANK_CUE,
    RANK_STEP,
    all_phrases,
    plan,
)
from tests.audio_helpers import (
    ROUTINE_TOML,
    AudioFileClock,
    audio_config,
    groups,
    match,
    onsets,
    use_disk_audio,
)

STEP_TEXT, COUNT_TEXT = "Cheeks.", "two"

# -- planning speech to fit before its boundary ----------------------------------


def _routine(tmp_path, text):
    path = tmp_path / "fit.toml"
    path.write_text(text)
    return load_routine(path)


LATE_CUE = """
title = "Fit"
[[step]]
name = "Hold"
say = "Hold."
duration = "20s"
countdown = 3
warning = "0s"
  [[step.cue]]
  at = "16s"
  say = "Let your jaw go heavy and your breath go slow."
"""


def test_a_cue_that_would_run_into_the_countdown_is_planned_earlier(tmp_path):
    routine = _routine(tmp_path, LATE_CUE)
    lengths = {"Let your jaw go heavy and your breath go slow.": 3.0}
    fitted = plan(routine, lambda text: lengths.get(text, 0.5))
    cue = next(c for c in fitted.steps[0].cues if c.rank == RANK_CUE)
    assert cue.at + 3.0 <= 17.0 - 0.2 + 1e-9  # ends before the first beep at 17 s
    assert plan(routine) == plan(routine, None)  # no hook, no change
    untouched = next(c for c in plan(routine).steps[0].cues if c.rank == RANK_CUE)
    assert untouched.at == 16.0
    assert all_phrases(fitted) == all_phrases(plan(routine))


def test_a_cue_never_moves_into_the_step_instruction(tmp_path):
    routine = _routine(tmp_path, LATE_CUE.replace('at = "16s"', 'at = "3s"'))
    fitted = plan(routine, lambda text: 2.5 if text == "Hold." else 15.0)
    cue = next(c for c in fitted.steps[0].cues if c.rank == RANK_CUE)
    assert cue.at == pytest.approx(2.5 + 0.2)  # as early as allowed; the player shortens it


# -- the real mixer -----------------------------------------------------------


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """A speech cache with the phrases these tests speak, rendered once."""
    folder = tmp_path_factory.mktemp("audio")
    config = audio_config(folder)
    speaker = Speaker(config, FakeClock())
    report = speaker.cache.render(
        [STEP_TEXT, COUNT_TEXT, "Halfway.", "Test.", "Done.", "Brow.", "Where am I."]
    )
    assert not report.failed
    return config


@pytest.fixture
def speaker(rendered, tmp_path, monkeypatch):
    use_disk_audio(monkeypatch, tmp_path / "out.raw")
    devices = ["Speaker"]
    made = Speaker(rendered, FakeClock(), devices=lambda: list(devices))
    made.device_list = devices
    made.start(background=False)
    yield made
    made.stop()


def _channel_sound(index):
    return pygame.mixer.Channel(index).get_sound()


def _effects_playing():
    return [
        pygame.mixer.Channel(i).get_sound()
        for i in range(2, 6)
        if pygame.mixer.Channel(i).get_busy()
    ]


def test_speech_plays_on_a_speech_channel(speaker):
    now = speaker.clock.now()
    speaker.perform([Say(STEP_TEXT, RANK_STEP, now)], now)
    assert speaker.queue.current.text == STEP_TEXT
    playing = [_channel_sound(i) for i in (0, 1) if pygame.mixer.Channel(i).get_busy()]
    assert len(playing) == 1 and playing[0].get_length() == pytest.approx(
        speaker.speech_length(STEP_TEXT), abs=0.01
    )


def test_a_count_under_a_step_instruction_becomes_a_ducked_tick(speaker):
    now = speaker.clock.now()
    speaker.perform([Say(STEP_TEXT, RANK_STEP, now)], now)
    speaker.perform([Say(COUNT_TEXT, RANK_COUNT, now + 0.1)], now + 0.1)
    assert speaker.queue.current.text == STEP_TEXT
    assert _effects_playing() == [speaker.mixer.sounds["tick"]]
    tick_channel = next(i for i in range(2, 6) if pygame.mixer.Channel(i).get_busy())
    assert pygame.mixer.Channel(tick_channel).get_volume() == pytest.approx(
        speaker.volumes[1] * DUCK, abs=0.01
    )


def test_a_higher_rank_cuts_the_current_phrase(speaker):
    now = speaker.clock.now()
    speaker.perform([Say("Halfway.", RANK_CUE, now)], now)
    speaker.perform([Say(STEP_TEXT, RANK_STEP, now + 0.2)], now + 0.2)
    assert speaker.queue.current.text == STEP_TEXT
    lengths = [_channel_sound(i).get_length() for i in (0, 1) if pygame.mixer.Channel(i).get_busy()]
    step = speaker.speech_length(STEP_TEXT)
    assert any(abs(length - step) < 0.01 for length in lengths)


def test_a_new_step_silences_the_old_steps_speech(speaker):
    now = speaker.clock.now()
    speaker.perform([Say("Halfway.", RANK_CUE, now)], now)
    speaker.perform([StepStarted(1, "Next", now + 0.1)], now + 0.1)
    assert not speaker.queue.busy(now + 0.1)


def test_a_phrase_that_was_never_rendered_plays_a_chime_and_is_logged_once(speaker, caplog):
    now = speaker.clock.now()
    with caplog.at_level(logging.WARNING):
        speaker.perform([Say("Never rendered.", RANK_CUE, now)], now)
        speaker.perform([Say("Never rendered.", RANK_CUE, now + 1)], now + 1)
    assert speaker.mixer.sounds["chime"] in _effects_playing()
    assert caplog.text.count("Never rendered.") == 1


def test_sounds_play_and_a_bad_sound_name_plays_the_error_tone(speaker, caplog):
    now = speaker.clock.now()
    speaker.perform([Sound("bell", RANK_STEP, now), Sound("../etc/passwd.wav", 2, now)], now)
    assert set(_effects_playing()) == {speaker.mixer.sounds["bell"], speaker.mixer.sounds["error"]}
    assert "not a file in the sounds folder" in caplog.text


def test_press_feedback_clicks_on_its_own_channel(speaker):
    speaker.press_feedback()
    assert pygame.mixer.Channel(6).get_sound() is speaker.mixer.sounds["click"]


def test_quiet_hours_lower_the_speech_volume(speaker):
    speaker.quiet = QuietHours.parse("00:00-23:59", wall=lambda: datetime(2024, 1, 1, 12))
    now = speaker.clock.now()
    speaker.perform([Say(STEP_TEXT, RANK_STEP, now)], now)
    busy = next(i for i in (0, 1) if pygame.mixer.Channel(i).get_busy())
    quiet = min(speaker.volumes[0], speaker.volumes[2])  # 0.4 by default, under 0.8
    assert pygame.mixer.Channel(busy).get_volume() == pytest.approx(quiet, abs=0.01)


def test_the_device_vanishing_mid_routine_degrades_and_recovers(speaker, caplog):
    caplog.set_level(logging.INFO)
    clock = speaker.clock
    speaker.device_list.clear()  # the USB speaker is unplugged
    speaker.pump(clock.advance(CHECK_EVERY))
    assert not speaker.available and "audio lost" in caplog.text
    speaker.perform(
        [Say(STEP_TEXT, RANK_STEP, clock.now()), Sound("tick", 0, clock.now())], clock.now()
    )  # the timer goes on; nothing raises
    speaker.pump(clock.advance(RETRY_EVERY))
    assert not speaker.available  # still unplugged
    speaker.device_list.append("Speaker")  # plugged back in
    speaker.pump(clock.advance(RETRY_EVERY))
    assert speaker.available and "audio device is back" in caplog.text
    speaker.perform([Say(STEP_TEXT, RANK_STEP, clock.now())], clock.now())
    assert speaker.queue.current.text == STEP_TEXT
    assert caplog.text.count("audio lost") == 1


def test_no_audio_device_at_start_runs_display_only_and_retries(
    rendered, tmp_path, monkeypatch, caplog
):
    caplog.set_level(logging.INFO)
    monkeypatch.setenv("SDL_AUDIODRIVER", "no-such-driver")
    speaker = Speaker(rendered, FakeClock())
    speaker.start(background=False)
    try:
        assert not speaker.available
        now = speaker.clock.now()
        speaker.perform([Say(STEP_TEXT, RANK_STEP, now), Sound("chime", RANK_STEP, now)], now)
        speaker.press_feedback()
        assert caplog.text.count("no audio device") == 1
        use_disk_audio(monkeypatch, tmp_path / "later.raw")
        speaker.pump(speaker.clock.advance(RETRY_EVERY))
        assert speaker.available and "audio device is back" in caplog.text
    finally:
        speaker.stop()


def test_audio_disabled_in_the_config_opens_nothing(rendered):
    config = {**rendered, "audio": {**rendered["audio"], "enabled": False}}
    speaker = Speaker(config, FakeClock())
    speaker.start()
    speaker.perform([Say(STEP_TEXT, RANK_STEP, 0.0)], 0.0)
    assert not speaker.available and not pygame.mixer.get_init()
    speaker.stop()


def test_prepare_renders_in_a_worker_and_sets_ready(tmp_path):
    routine = _routine(tmp_path, ROUTINE_TOML)
    speaker = Speaker(audio_config(tmp_path), FakeClock())
    speaker.prepare({"audio-test": routine})
    assert speaker.wait_ready(60)
    for text in all_phrases(plan(routine)):
        assert speaker.cache.cached(text), text
    speaker.stop()


# -- end to end: a routine through the real mixer, onsets against the plan ------


def test_a_routine_sounds_when_the_engine_planned(tmp_path, monkeypatch):
    """The daemon's loop over the real mixer. SDL's disk driver runs ~10x real time (1 ms
    per 11.6 ms buffer) and the engine's clock is the audio written so far, so plan and
    recording share one time scale; the loop waits for the next deadline (the session's
    or the speech queue's) on that clock, then hands over the actions and pumps."""
    out = tmp_path / "speaker.raw"
    use_disk_audio(monkeypatch, out, delay_ms=1)
    routine = _routine(tmp_path, ROUTINE_TOML)
    config = audio_config(tmp_path)
    clock = AudioFileClock(out, config["audio"]["frequency"])
    speaker = Speaker(config, clock)
    speaker.prepare({"audio-test": routine})
    assert speaker.wait_ready(60)
    speaker.start(background=False)
    session = Session(plan(routine, speaker.speech_length))
    due = []
    try:
        now = clock.now()
        actions = session.handle(Command.START, now)
        while True:
            due += [a.due for a in actions if isinstance(a, Say | Sound)]
            speaker.perform(actions, now)  # and pumps: a waiting phrase starts if it can
            if session.state is State.DONE:
                break
            speech = speaker.queue.wake_in(now)
            deadline = min(session.next_deadline(), now + (speech if speech is not None else 60))
            now = clock.wait_until(deadline)
            actions = session.handle(Command.TICK, now)
        clock.wait_until(now + 1.0)  # the bell rings out
    finally:
        speaker.stop()  # closes the mixer, so SDL flushes the file
        clock.close()
    heard = onsets(out.read_bytes(), config["audio"]["frequency"])
    planned = groups(due)
    assert len(planned) == 8  # see ROUTINE_TOML
    pairs, missed, extra = match(planned, heard)
    assert not missed and not extra, (heard, planned, missed, extra)
    for when, onset in pairs:
        assert -0.02 <= onset - when <= 0.25, (heard, planned)


def test_onsets_pair_with_the_nearest_cue_so_an_extra_one_shifts_nothing():
    planned = [1.0, 2.0, 3.0, 4.0]
    heard = [1.01, 1.6, 2.02, 3.01]  # a stray sound at 1.6; nothing at 4
    pairs, missed, extra = match(planned, heard)
    assert pairs == [(1.0, 1.01), (2.0, 2.02), (3.0, 3.01)]
    assert missed == [4.0] and extra == [1.6]
