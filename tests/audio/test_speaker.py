"""The speaker: planning speech to fit, and the real mixer on SDL's disk driver."""

from __future__ import annotations

import logging
import queue
import wave
from datetime import datetime

import pygame
import pytest

from device.audio.mixer import CHECK_EVERY, IDLE_CLOSE, RETRY_EVERY
from device.audio.render import RETRY_FIRST
from device.audio.speaker import Speaker
from device.clock import FakeClock
from device.core.controller import DEFAULT_GESTURES, Controller
from device.core.routine import load_routine
from device.core.session import Say, Session, Sound, StepStarted
from device.core.speech_rules import DUCK, QuietHours
from device.core.timeline import (
    RANK_COUNT,
    RANK_CUE,
    RANK_STEP,
    all_phrases,
    library_phrases,
    plan,
)
from device.core.view import IdleView, RoutineView
from device.daemon.inbox import Call
from device.daemon.loop import Loop
from tests.audio_helpers import (
    ROUTINE_TOML,
    AudioFileClock,
    PacedRecording,
    audio_config,
    groups,
    match,
    onsets,
    play_on_audio_clock,
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
    clock = fitted.steps[0].parts[0].clock  # after the intro and "Hold."
    assert cue.at + 3.0 <= clock + 17.0 - 0.2 + 1e-9  # ends before the first beep
    assert cue.at >= clock + 16.0 - 8.0  # moved no further than it must
    assert plan(routine) == plan(routine, None)  # no hook, no change
    untouched = next(c for c in plan(routine).steps[0].cues if c.rank == RANK_CUE)
    assert untouched.at == 16.0


def test_a_cue_never_moves_into_the_step_instruction(tmp_path):
    routine = _routine(tmp_path, LATE_CUE.replace('at = "16s"', 'at = "3s"'))
    fitted = plan(routine, lambda text: 2.5 if text == "Hold." else 15.0)
    cue = next(c for c in fitted.steps[0].cues if c.rank == RANK_CUE)
    instruction_ends = 15.0 + 2.5  # the intro (15 s here) is said first
    assert cue.at >= instruction_ends  # nowhere fits: it stays put, after the instruction


# -- the real mixer -----------------------------------------------------------


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """A speech cache with the phrases these tests speak, rendered once."""
    folder = tmp_path_factory.mktemp("audio")
    config = audio_config(folder)
    speaker = Speaker(config, FakeClock())
    report = speaker.cache.first.render(
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
    config = rendered.replaced(audio={"enabled": False})
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
    """The daemon's loop over the real mixer (see play_on_audio_clock and PacedRecording)."""
    out = tmp_path / "speaker.pipe"
    use_disk_audio(monkeypatch, out, delay_ms=1)
    routine = _routine(tmp_path, ROUTINE_TOML)
    config = audio_config(tmp_path)
    clock = PacedRecording(out, config.audio.frequency)
    speaker = Speaker(config, clock)
    speaker.prepare({"audio-test": routine})
    assert speaker.wait_ready(60)
    speaker.start(background=False)
    session = Session(plan(routine, speaker.speech_length))
    try:
        due = [action.due for action in play_on_audio_clock(session, speaker, clock)]
    finally:
        clock.finish()
        speaker.stop()  # closes the mixer, so SDL flushes the pipe
        clock.close()
    heard = onsets(bytes(clock.audio), config.audio.frequency)
    planned = groups(due)
    assert len(planned) == 9  # see ROUTINE_TOML
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


# -- closing the device between routines ----------------------------------------

IDLE = IdleView(awake=True)


def _routine_view(state):
    return RoutineView(state, "Routine", 0, 3, "Cheeks", "Circles.", "cheeks", "circles",
                       "", 1, 4, 20.0, 30.0, 80.0, 90.0, "Brow")  # fmt: skip


def _close(speaker):
    """Let the quiet spell run out with nothing playing; the device must close."""
    clock = speaker.clock
    close_at = speaker.show(IDLE, clock.now())
    assert close_at is not None and speaker.mixer.open
    speaker.show(IDLE, clock.advance(close_at - clock.now()))
    assert speaker.mixer.asleep and not speaker.mixer.open and not pygame.mixer.get_init()


def test_the_device_closes_after_a_quiet_spell_between_routines(speaker):
    clock = speaker.clock
    start = clock.now()
    assert speaker.show(IDLE, start) == pytest.approx(start + IDLE_CLOSE)
    assert speaker.show(IDLE, clock.advance(IDLE_CLOSE - 0.5)) == pytest.approx(start + IDLE_CLOSE)
    assert speaker.mixer.open  # not yet
    assert speaker.show(IDLE, clock.advance(0.5)) is None  # nothing more to call back for
    assert not pygame.mixer.get_init() and speaker.available  # asleep, not lost


def test_the_loop_calls_the_speaker_back_when_the_quiet_spell_ends(speaker):
    """Through the real event loop: no event arrives, the show() deadline alone wakes it."""
    clock = speaker.clock

    def virtual(source, timeout):  # instead of waiting, jump the fake clock
        try:
            return source.get_nowait()
        except queue.Empty:
            assert timeout is not None, "the loop would wait forever"
            clock.advance(timeout)
            raise

    loop = Loop(Controller({}), [speaker], clock, gestures=DEFAULT_GESTURES, wait=virtual)
    loop.post(Call(lambda now: None))
    loop.run_once()
    assert speaker.mixer.open and loop.deadline(clock.now()) == pytest.approx(
        clock.now() + IDLE_CLOSE
    )
    loop.run_once()
    assert not speaker.mixer.open and loop.deadline(clock.now()) is None


@pytest.mark.parametrize("state", ["running", "paused", "waiting"])
def test_the_device_stays_open_while_a_routine_is_on(speaker, state):
    clock = speaker.clock
    speaker.show(IDLE, clock.now())
    assert speaker.show(_routine_view(state), clock.advance(1)) is None
    speaker.pump(clock.advance(10 * IDLE_CLOSE))
    assert speaker.show(_routine_view(state), clock.advance(10 * IDLE_CLOSE)) is None
    assert speaker.mixer.open
    ended = clock.now()
    assert speaker.show(IDLE, ended) == pytest.approx(ended + IDLE_CLOSE)  # the spell starts


def test_the_device_stays_open_while_a_sound_plays(speaker):
    clock = speaker.clock
    now = clock.now()
    speaker.show(IDLE, now)  # the quiet spell starts
    speaker.perform([Sound("bell", RANK_STEP, now)], now)
    bell = speaker.mixer.sounds["bell"].get_length()
    assert speaker.show(IDLE, clock.advance(IDLE_CLOSE)) == pytest.approx(now + bell + IDLE_CLOSE)
    assert speaker.mixer.open


def test_a_sound_still_playing_past_the_spell_keeps_the_device_open(
    rendered, tmp_path, monkeypatch
):
    """The fake clock leaps past the sound's end; the real mixer still plays it."""
    use_disk_audio(monkeypatch, tmp_path / "out.raw")
    with wave.open(str(tmp_path / "long.wav"), "wb") as wav:
        wav.setnchannels(1), wav.setsampwidth(2), wav.setframerate(22050)
        wav.writeframes(bytes(2 * 22050 * 60))  # a minute
    speaker = Speaker(rendered.replaced(audio={"sounds": str(tmp_path)}),
                      FakeClock())  # fmt: skip
    speaker.start(background=False)
    try:
        now = speaker.clock.now()
        speaker.show(IDLE, now)  # the quiet spell starts
        speaker.perform([Sound("long.wav", RANK_STEP, now)], now)
        later = speaker.clock.advance(120)
        assert speaker.show(IDLE, later) == pytest.approx(later + IDLE_CLOSE)
        assert speaker.mixer.open and pygame.mixer.get_busy()
    finally:
        speaker.stop()


def test_the_first_press_after_closing_reopens_and_clicks(speaker, tmp_path, monkeypatch):
    _close(speaker)
    out = tmp_path / "after.raw"
    use_disk_audio(monkeypatch, out, delay_ms=1)
    speaker.press_feedback()
    assert (
        speaker.mixer.open and pygame.mixer.Channel(6).get_sound() is speaker.mixer.sounds["click"]
    )
    clock = AudioFileClock(out, speaker.mixer.frequency)
    try:
        clock.wait_until(0.2)
    finally:
        clock.close()
    speaker.stop()  # SDL flushes the file
    heard = onsets(out.read_bytes(), speaker.mixer.frequency)
    assert len(heard) == 1 and heard[0] < 0.05, heard


def test_a_cue_after_closing_plays(speaker):
    _close(speaker)
    now = speaker.clock.now()
    speaker.perform([Say(STEP_TEXT, RANK_STEP, now), Sound("chime", RANK_STEP, now)], now)
    assert speaker.mixer.open and speaker.queue.current.text == STEP_TEXT
    speech = [_channel_sound(i) for i in (0, 1) if pygame.mixer.Channel(i).get_busy()]
    assert [s.get_length() for s in speech] == [pytest.approx(speaker.speech_length(STEP_TEXT))]
    assert _effects_playing() == [speaker.mixer.sounds["chime"]]


def test_phrases_loaded_before_closing_are_loaded_back_in_the_same_order(speaker):
    clock = speaker.clock
    for text in ("Halfway.", STEP_TEXT, COUNT_TEXT):
        now = clock.advance(5)
        speaker.perform([Say(text, RANK_STEP, now)], now)
    clock.advance(5)
    pygame.mixer.stop()
    _close(speaker)
    speaker.press_feedback()
    assert not speaker._speech  # nothing loaded on the press itself: only the click
    while speaker.reload_one():
        pass
    assert list(speaker._speech) == ["Halfway.", STEP_TEXT, COUNT_TEXT]


def test_a_deliberate_close_warns_nothing_and_never_retries(speaker, tmp_path, monkeypatch, caplog):
    caplog.set_level(logging.WARNING)
    _close(speaker)
    reopened = tmp_path / "reopened.raw"
    use_disk_audio(monkeypatch, reopened)  # a retry would open the device, making this file
    for _ in range(3):
        speaker.pump(speaker.clock.advance(RETRY_EVERY))
    assert speaker.pump_wait(speaker.clock.now()) is None  # the pump thread waits for a call
    assert not reopened.exists() and speaker.mixer.asleep and not pygame.mixer.get_init()
    assert not caplog.records


def test_a_device_missing_at_reopen_still_warns_once_and_retries(
    speaker, tmp_path, monkeypatch, caplog
):
    caplog.set_level(logging.INFO)
    _close(speaker)
    monkeypatch.setenv("SDL_AUDIODRIVER", "no-such-driver")
    speaker.press_feedback()
    speaker.press_feedback()
    now = speaker.clock.now()
    speaker.perform([Say(STEP_TEXT, RANK_STEP, now)], now)  # nothing raises
    assert not speaker.available and caplog.text.count("no audio device") == 1
    assert speaker.pump_wait(now) == CHECK_EVERY  # retrying, so the pump thread wakes
    use_disk_audio(monkeypatch, tmp_path / "later.raw")
    speaker.show(_routine_view("running"), speaker.clock.now())  # a routine needs it back
    speaker.pump(speaker.clock.advance(RETRY_EVERY))
    assert speaker.mixer.open and "audio device is back" in caplog.text


# -- bad input from the routines folder never costs the device ----------------------


def test_a_corrupt_sound_file_plays_the_error_tone_and_keeps_the_device(
    rendered, tmp_path, monkeypatch, caplog
):
    sounds = tmp_path / "sounds"
    sounds.mkdir()
    (sounds / "gong.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEnot really a wave file")
    config = rendered.replaced(audio={"sounds": str(sounds)})
    use_disk_audio(monkeypatch, tmp_path / "out.raw")
    speaker = Speaker(config, FakeClock(), devices=lambda: ["Speaker"])
    speaker.start(background=False)
    try:
        for _ in range(3):  # the cue fires on every rep; the file is read and reported once
            now = speaker.clock.now()
            speaker.perform([Sound("gong.wav", RANK_STEP, now)], now)
        assert speaker.available and speaker.mixer.open  # not mistaken for a lost device
        assert speaker.mixer.sounds["error"] in _effects_playing()
        assert caplog.text.count("cannot play") == 1
        assert "audio lost" not in caplog.text
    finally:
        speaker.stop()


def test_a_sound_file_without_one_whole_frame_plays_the_error_tone(
    rendered, tmp_path, monkeypatch, caplog
):
    """SDL_mixer refuses such a chunk; pygame 2.6.1 then indexes channel -1 and the
    process segfaults later, so the mixer must never hand it over."""
    sounds = tmp_path / "sounds"
    sounds.mkdir()
    with wave.open(str(sounds / "empty.wav"), "wb") as wav:
        wav.setnchannels(1), wav.setsampwidth(2), wav.setframerate(22050)
        wav.writeframes(b"")
    config = rendered.replaced(audio={"sounds": str(sounds)})
    use_disk_audio(monkeypatch, tmp_path / "out.raw")
    speaker = Speaker(config, FakeClock(), devices=lambda: ["Speaker"])
    speaker.start(background=False)
    try:
        now = speaker.clock.now()
        speaker.perform([Sound("empty.wav", RANK_STEP, now)], now)
        assert _effects_playing() == [speaker.mixer.sounds["error"]]
        assert "cannot play" in caplog.text and "holds no sound" in caplog.text
    finally:
        speaker.stop()


def test_the_render_thread_survives_a_failed_pass(tmp_path, monkeypatch, caplog):
    routine = _routine(tmp_path, ROUTINE_TOML)
    clock = FakeClock()
    speaker = Speaker(audio_config(tmp_path), clock)
    real_render = speaker.cache.first.render
    calls = []

    def full_disk_once(texts, progress=None, interrupted=lambda: False):
        calls.append(len(texts))
        if len(calls) == 1:
            raise OSError(28, "No space left on device")
        return real_render(texts, progress, interrupted)

    monkeypatch.setattr(speaker.cache.first, "render", full_disk_once)
    try:
        speaker.prepare({"audio-test": routine})
        assert speaker.wait_ready(60)  # the failed pass still ends; the daemon goes on
        assert "rendering speech failed" in caplog.text
        speaker.prepare({"audio-test": routine})  # a reload at once: not yet
        assert speaker.wait_voices(60) and len(calls) == 1
        clock.advance(RETRY_FIRST)
        speaker.prepare({"audio-test": routine})  # the next reload after the back-off renders
        assert speaker.wait_voices(60) and len(calls) == 3  # then once more with real lengths
        planned = all_phrases(plan(routine, speaker.speech_length))
        assert all(speaker.cache.cached(text) for text in planned)
    finally:
        speaker.stop()


def test_after_rendering_planning_a_routine_reads_no_files(tmp_path, monkeypatch):
    routine = _routine(tmp_path, ROUTINE_TOML)
    speaker = Speaker(audio_config(tmp_path), FakeClock())
    try:
        speaker.prepare({"audio-test": routine})
        assert speaker.wait_ready(60)
        reads = []
        monkeypatch.setattr(speaker.cache, "length", lambda text: reads.append(text))
        plan(routine, speaker.speech_length)  # what PLAY does, with the phrase lengths
        assert reads == []  # every length came from memory, none from the SD card
    finally:
        speaker.stop()


def test_prepare_renders_the_first_routines_phrases_first(tmp_path, monkeypatch):
    """The daemon puts the running or selected routine first: its phrases render first."""
    speaker = Speaker(audio_config(tmp_path), FakeClock())
    requested = []
    monkeypatch.setattr(speaker._render, "request", requested.append)
    other = _routine(tmp_path, ROUTINE_TOML)
    selected = _routine(tmp_path, ROUTINE_TOML.replace("Cheeks.", "Jaw."))
    speaker.prepare({"selected": selected, "other": other})
    order = requested[0](speaker.speech_length)
    first = library_phrases([selected], speaker.speech_length)
    assert set(order[: len(first)]) == first and "Cheeks." in order[len(first) :]
