"""The speaker: ranking rules (pure), and the real mixer on SDL's disk driver."""

from __future__ import annotations

import logging
import time
from datetime import datetime

import pygame
import pytest

from device.audio import CHECK_EVERY, RETRY_EVERY, Speaker
from device.audio_rules import DUCK, Phrase, QuietHours, SpeechQueue
from device.clock import FakeClock
from device.routine import load_routine
from device.session import Command, Say, Session, Sound, State, StepStarted
from device.timeline import (
    RANK_COUNT,
    RANK_COUNTDOWN,
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
    onsets,
    use_disk_audio,
)

STEP_TEXT, COUNT_TEXT = "Cheeks.", "two"

# -- the queue: pure rules -----------------------------------------------------


def _p(text, rank, due=0.0, length=1.0):
    return Phrase(text, rank, due, length)


def test_a_free_channel_starts_at_once_and_a_higher_rank_cuts_in():
    queue = SpeechQueue()
    assert queue.offer(_p("cue", RANK_CUE, 0, 3), 0.0) == "start"
    assert queue.offer(_p("step", RANK_STEP, 1, 2), 1.0) == "cut"
    assert queue.current.text == "step" and queue.ends == 3.0


def test_an_equal_rank_waits_its_turn_and_starts_when_the_channel_frees():
    queue = SpeechQueue()
    queue.offer(_p("intro", RANK_STEP, 0, 2), 0.0)
    assert queue.offer(_p("first step", RANK_STEP, 0, 1), 0.0) == "wait"
    assert queue.next(1.9) is None and queue.wake_in(1.9) == pytest.approx(0.1)
    assert queue.next(2.0).text == "first step"


def test_a_count_under_other_speech_is_dropped_not_delayed():
    queue = SpeechQueue()
    queue.offer(_p("step", RANK_STEP, 0, 5), 0.0)
    assert queue.offer(_p("two", RANK_COUNT, 3), 3.0) == "drop"
    assert [p.text for p in queue.dropped] == ["two"] and not queue.pending


def test_waiting_phrases_go_highest_rank_first_and_stale_ones_are_dropped():
    queue = SpeechQueue()
    queue.offer(_p("step", RANK_STEP, 0, 4), 0.0)
    queue.offer(_p("ten seconds", RANK_COUNTDOWN, 1), 1.0)  # 3 s late by 4.0: stale
    queue.offer(_p("halfway", RANK_CUE, 3.5), 3.5)
    queue.offer(_p("where", RANK_STEP, 3.6), 3.6)
    assert queue.next(4.0).text == "where"
    assert queue.next(5.0).text == "halfway"
    assert [p.text for p in queue.dropped] == ["ten seconds"]


def test_drop_below_clears_lower_ranks_only():
    queue = SpeechQueue()
    queue.offer(_p("step", RANK_STEP, 0, 4), 0.0)
    queue.offer(_p("cue", RANK_CUE), 0.0)
    queue.offer(_p("finish", RANK_STEP), 0.0)
    queue.drop_below(RANK_STEP)
    assert [p.text for p in queue.pending] == ["finish"]


@pytest.mark.parametrize(
    ("span", "hour", "quiet"),
    [
        ("22:00-07:00", 23, True),
        ("22:00-07:00", 6, True),
        ("22:00-07:00", 12, False),
        ("13:00-14:00", 13, True),
        ("13:00-14:00", 14, False),
        ("", 3, False),
        ("late evening", 23, False),
    ],
)
def test_quiet_hours(span, hour, quiet):
    hours = QuietHours.parse(span, wall=lambda: datetime(2024, 1, 1, hour, 30))
    assert hours.now() is quiet


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
    assert _effects_playing() == [speaker._sounds["tick"]]
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
    assert speaker._sounds["chime"] in _effects_playing()
    assert caplog.text.count("Never rendered.") == 1


def test_sounds_play_and_a_bad_sound_name_plays_the_error_tone(speaker, caplog):
    now = speaker.clock.now()
    speaker.perform([Sound("bell", RANK_STEP, now), Sound("../etc/passwd.wav", 2, now)], now)
    assert set(_effects_playing()) == {speaker._sounds["bell"], speaker._sounds["error"]}
    assert "not a file in the sounds folder" in caplog.text


def test_press_feedback_clicks_on_its_own_channel(speaker):
    speaker.press_feedback()
    assert pygame.mixer.Channel(6).get_sound() is speaker._sounds["click"]


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
    """SDL's disk driver runs ~20x real time (1 ms per 23 ms buffer); the engine's clock is
    the audio written so far, so plan and recording share one time scale."""
    out = tmp_path / "speaker.raw"
    use_disk_audio(monkeypatch, out, delay_ms=1)
    routine = _routine(tmp_path, ROUTINE_TOML)
    config = audio_config(tmp_path)
    clock = AudioFileClock(out, config["audio"]["frequency"])
    speaker = Speaker(config, clock)
    speaker.prepare({"audio-test": routine})
    assert speaker.wait_ready(60)
    speaker.start()
    session = Session(plan(routine, speaker.speech_length))
    due = []
    try:
        actions = session.handle(Command.START, clock.now())
        while True:
            due += [a.due for a in actions if isinstance(a, Say | Sound)]
            speaker.perform(actions, clock.now())
            if session.state is State.DONE:
                break
            deadline = session.next_deadline()
            while clock.now() < deadline:
                time.sleep(0.0005)  # yield to the mixer; audio time is the clock here
            actions = session.handle(Command.TICK, clock.now())
        end = clock.now() + 1.0
        while clock.now() < end:
            time.sleep(0.0005)
    finally:
        speaker.stop()
    heard = onsets(out.read_bytes(), config["audio"]["frequency"])
    planned = groups(due)
    assert len(planned) == 8  # see ROUTINE_TOML
    assert len(heard) == len(planned), (heard, planned)
    for onset, when in zip(heard, planned, strict=True):
        assert -0.02 <= onset - when <= 0.25, (heard, planned)
