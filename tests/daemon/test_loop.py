"""The real loop, driven through MockFactory pins on a FakeClock: no sleeping anywhere."""

from __future__ import annotations

import datetime as dt
import io
import json
import random

import pytest

from device.clock import FakeClock
from device.core.outputs import RecordingOutput
from device.core.session import Say, StepStarted
from device.core.timeline import BROKEN_NEW_FILE, all_phrases, error_phrase, plan
from device.core.view import IdleView, RoutineView
from device.daemon.inbox import Call, Reload, Request, Stop
from device.daemon.loop import MAX_WAIT, Loop
from device.daemon.refresh import RUNNING
from device.daemon.simulate import KEY_POLL, poll_keys, virtual_wait
from device.daemon.state import RESUME_FILE
from device.daemon.wiring import build_outputs, start_outputs
from tests.daemon_helpers import WALL_START, routines_dir


def test_play_starts_pauses_resumes_and_hold_stops(rig):
    rig.press("play")
    assert rig.state == "waiting"  # the demo begins with "apply oil"
    assert rig.output.said[0].startswith("Quick demo")
    rig.press("play")
    assert rig.state == "running"
    rig.press("play")
    assert rig.state == "paused"
    rig.press("play")
    assert rig.state == "running"
    rig.hold("play")
    assert rig.state == "idle"


def test_hold_acts_at_hold_time_not_at_release(rig):
    rig.press("play")
    rig.press("play")
    rig.step(0.5)
    rig.down("play")
    rig.step(0.99)
    assert rig.state == "running"
    rig.step(0.01)
    assert rig.state == "idle"


def test_next_press_and_hold_move_between_steps(rig):
    rig.press("play")
    rig.press("play")
    session = rig.loop.controller.session
    assert session.index == 1
    rig.press("next")
    assert session.index == 2
    rig.hold("next")
    assert session.index == 1


def test_repeat_says_the_instruction_again_and_hold_says_where(rig):
    rig.press("play")
    rig.press("play")
    instruction = rig.output.said[-1]
    rig.press("repeat")
    assert rig.output.said[-1] == instruction
    before = len(rig.output.said)
    rig.hold("repeat")
    assert len(rig.output.said) > before
    assert rig.state == "running"  # the timer keeps going


def test_next_when_idle_selects_the_next_routine(rig):
    assert rig.loop.controller.selected == "demo"
    rig.press("next")
    assert rig.loop.controller.selected == "jawline-and-chin"
    assert rig.state == "idle"


def test_cues_fire_at_their_deadlines_and_the_routine_ends(rig):
    rig.press("play")
    rig.press("play")
    started = rig.clock.now()
    rig.run_for(70)
    assert rig.state == "idle"
    steps = [(t, a) for t, a in rig.output.actions if isinstance(a, StepStarted)]
    assert [a.index for _, a in steps] == [0, 1, 2, 3]
    assert steps[-1][1].due == pytest.approx(started + 40)  # deadlines from the start instant
    assert all(t == pytest.approx(a.due) for t, a in rig.output.actions if a.due >= started)
    assert rig.output.said[-1].startswith("That was the demo")


def test_the_loop_waits_for_the_next_deadline_and_idles_without_one(rig):
    rig.run_for(120)  # the wake period ends; the screen goes dark
    assert rig.loop.deadline(rig.clock.now()) is None
    rig.press("play")
    rig.press("play")
    deadline = rig.loop.deadline(rig.clock.now())
    assert deadline is not None and deadline > rig.clock.now()


def test_a_button_storm_leaves_a_consistent_state(build_rig, mock_factory):
    rng = random.Random(4)
    rig = build_rig()
    for _ in range(1000):
        button = rng.choice(["play", "next", "repeat"])
        pin = mock_factory.pin(rig.pin(button))
        pin.drive_low() if pin.state else pin.drive_high()
        rig.step(rng.choice([0.0, 0.001, 0.03, 0.2, 0.6, 1.2, 3.0]))
    for button in ("play", "next", "repeat"):
        mock_factory.pin(rig.pin(button)).drive_high()
    rig.step(5)
    controller = rig.loop.controller
    assert controller.selected in controller.routines
    assert rig.loop.decoder.next_deadline() is None  # nothing left half-pressed
    if controller.session:
        assert 0 <= controller.session.index < len(controller.session.timeline.steps)
    view = controller.view(rig.clock.now())
    assert isinstance(view, RoutineView | IdleView)
    rig.hold("play")  # and it still obeys afterwards
    rig.press("play")
    assert rig.state in ("waiting", "running")


def test_events_are_written_as_json_lines(build_rig):
    stream = io.StringIO()
    rig = build_rig(events=stream)
    rig.press("play")
    rig.press("play")
    rig.run_for(2)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    kinds = {line["event"] for line in lines}
    assert {"reload", "button", "step", "cue", "state"} <= kinds
    button = next(line for line in lines if line["event"] == "button")
    assert (button["button"], button["gesture"], button["input"]) == ("play", "press", "play")
    cue = next(line for line in lines if line["event"] == "cue")
    assert {"planned", "actual", "t"} <= set(cue)


def test_an_output_that_raises_is_dropped_and_the_loop_goes_on(rig, caplog):
    class Broken(RecordingOutput):
        def perform(self, actions, now):
            raise RuntimeError("speaker on fire")

    rig.loop.outputs.append(Broken())
    rig.press("play")
    assert rig.state == "waiting"
    assert len(rig.loop.outputs) == 1
    assert "speaker on fire" in caplog.text


def test_a_broken_event_is_logged_not_fatal(rig, caplog):
    rig.loop.post("edge")  # type: ignore[arg-type]  # not an event at all
    rig.loop.post(Call(lambda now: 1 / 0))  # a handler that fails
    rig.step()
    assert rig.loop.alive
    assert "not an event: 'edge'" in caplog.text and "ZeroDivisionError" in caplog.text
    rig.press("play")
    assert rig.state == "waiting"


def test_motion_wakes_the_screen_and_absence_pauses(build_rig, mock_factory):
    motion = {"enabled": True, "pin": 4, "pause_after": 30.0}
    rig = build_rig(motion=motion)
    rig.run_for(120)
    assert not rig.loop.controller.view(rig.clock.now()).awake
    mock_factory.pin(4).drive_high()
    rig.step()
    assert rig.loop.controller.view(rig.clock.now()).awake
    rig.press("play")
    rig.press("play")
    mock_factory.pin(4).drive_low()  # they stepped away
    rig.step(29)
    assert rig.state == "running"
    rig.step(1)
    assert rig.state == "paused"


def test_stop_event_ends_the_loop(rig):
    rig.loop.post(Stop("SIGTERM"))
    assert rig.loop.run_once(timeout=0) is False


def test_virtual_wait_jumps_the_clock_instead_of_sleeping(rig):
    rig.loop.wait = virtual_wait(rig.clock)
    rig.press("play")
    rig.press("play")
    before = rig.clock.now()
    rig.loop.run_once()
    assert rig.clock.now() > before
    assert isinstance(rig.loop, Loop)


def test_build_outputs_degrades_to_the_terminal(monkeypatch):
    from device.config.schema import Config
    from device.display.terminal import TerminalOutput

    config = Config().replaced(audio={"enabled": False}, display={"enabled": False})
    outputs = build_outputs(config, FakeClock(), headless=True, terminal=True)
    assert [type(o) for o in outputs] == [TerminalOutput]

    class NoStart:
        def start(self):
            raise OSError("no device")

    assert start_outputs([NoStart(), *outputs]) == outputs


def test_warning_for_a_broken_routine_is_said_once_and_not_mid_routine(rig):
    rig.press("play")
    rig.press("play")
    (rig.folder / "demo.toml").write_text("title = [broken\n")
    (rig.folder / "extra.toml").write_text("title = 3\n")
    rig.loop.post(Reload())
    rig.step()
    assert not any("has an error" in s for s in rig.output.said)
    rig.hold("play")
    warnings = [s for s in rig.output.said if "has an error" in s]
    # demo keeps its last good version, so its title (and a pre-rendered phrase) is known;
    # extra.toml never loaded: a fixed phrase, which does not claim a good version
    demo = rig.loop.controller.routines["demo"]
    assert warnings == [error_phrase(demo.title), BROKEN_NEW_FILE]
    assert warnings[0] in all_phrases(plan(demo))
    rig.loop.post(Reload())
    rig.step()
    assert [s for s in rig.output.said if "has an error" in s] == warnings
    assert rig.loop.controller.warnings == 2
    view = rig.loop.controller.view(rig.clock.now())
    assert view.warnings == 2


def error_warnings(rig) -> list[str]:
    return [s for s in rig.output.said if "has an error" in s]


def test_a_broken_file_fixed_mid_routine_is_never_announced(rig):
    good = (rig.folder / "demo.toml").read_text()
    rig.press("play")
    rig.press("play")
    for problem in ("title = [broken\n", "title = 3\n", "[[step]]\n", "title = \n", "x = 1\n"):
        (rig.folder / "demo.toml").write_text(problem)  # five bad saves, five problems
        rig.loop.post(Reload())
        rig.step(2)
        (rig.folder / "demo.toml").write_text(good)
        rig.loop.post(Reload())
        rig.step(2)
    rig.hold("play")
    rig.step(1)
    assert error_warnings(rig) == [] and rig.loop.controller.warnings == 0


def test_bad_saves_mid_routine_are_announced_once_for_the_state_at_the_end(rig):
    rig.press("play")
    rig.press("play")
    for problem in ("title = [broken\n", "title = 3\n", "title = [broken\n"):
        (rig.folder / "demo.toml").write_text(problem)
        rig.loop.post(Reload())
        rig.step(2)
    rig.hold("play")
    rig.step(1)
    assert error_warnings(rig) == [error_phrase(rig.loop.controller.routines["demo"].title)]


def test_the_same_problems_again_after_a_fix_are_not_announced_again(rig):
    good = (rig.folder / "demo.toml").read_text()
    for _ in range(5):
        (rig.folder / "demo.toml").write_text("title = [broken\n")
        rig.loop.post(Reload())
        rig.step(2)
        (rig.folder / "demo.toml").write_text(good)
        rig.loop.post(Reload())
        rig.step(2)
    assert len(error_warnings(rig)) == 1
    (rig.folder / "demo.toml").write_text("title = 3\n")  # a new broken state
    rig.loop.post(Reload())
    rig.step(2)
    assert len(error_warnings(rig)) == 2


def test_says_are_actions_of_the_session(rig):
    rig.press("play")
    assert any(isinstance(a, Say) for _, a in rig.output.actions)


class Keeping(RecordingOutput):
    """Also keeps the routines themselves that ``prepare`` was given, and a phrase length."""

    def __init__(self) -> None:
        super().__init__()
        self.routines: dict = {}

    def prepare(self, routines, phrases=frozenset()):
        super().prepare(routines, phrases)
        self.routines = dict(routines)

    def speech_length(self, text: str) -> float:
        return 9.0  # long phrases: the planner must move cue speech earlier

    def phrase_lengths(self):
        return self.speech_length


def test_a_reload_keeps_the_running_routines_speech(build_rig):
    rig = build_rig(output=Keeping())
    rig.press("play")
    running = rig.loop.controller.session.timeline.routine
    demo = rig.folder / "demo.toml"
    demo.write_text(demo.read_text().replace("Warm two or three", "Warm three"))
    rig.loop.post(Reload())
    rig.step()
    kept = rig.output.routines
    assert kept["demo"] is not running and kept["demo"].title == running.title
    assert any(routine is running for routine in kept.values())  # until it ends
    assert set(kept) - {"demo", "jawline-and-chin"} == {RUNNING}


def test_a_reload_renders_the_running_or_else_the_selected_routine_first(build_rig):
    rig = build_rig(output=Keeping())
    rig.press("next")  # the selection moves on from demo
    selected = rig.loop.controller.selected
    rig.loop.post(Reload())
    rig.step()
    assert selected != "demo" and next(iter(rig.output.routines)) == selected
    rig.press("play")
    rig.loop.post(Reload())
    rig.step()
    assert next(iter(rig.output.routines)) == RUNNING


def test_the_planner_uses_the_speakers_phrase_lengths(build_rig):
    """make_rig goes through wiring.build_loop, the daemon's own builder."""
    output = Keeping()
    rig = build_rig(output=output)
    rig.press("play")
    routine = rig.loop.controller.routines["demo"]
    timeline = rig.loop.controller.session.timeline
    assert timeline == plan(routine, speech_length=output.speech_length)
    assert timeline != plan(routine)


def test_a_step_is_performed_before_its_resume_record_is_written(tmp_path, build_rig):
    """The chime and instruction come first; the record (two fsyncs on an SD card) after."""
    saved_at_perform: list[tuple[int, int | None]] = []

    class Watching(RecordingOutput):
        def perform(self, actions, now):
            super().perform(actions, now)
            record = tmp_path / "state" / RESUME_FILE
            saved = json.loads(record.read_text())["step"] if record.exists() else None
            for action in actions:
                if isinstance(action, StepStarted):
                    saved_at_perform.append((action.index, saved))

    rig = build_rig(output=Watching())
    rig.press("play")
    rig.press("play")
    rig.press("next")
    final = json.loads((tmp_path / "state" / RESUME_FILE).read_text())["step"]
    assert saved_at_perform == [(0, None), (1, 0), (2, 1)]
    assert final == 2


PLAN = 'title = "Plan"\n\n[[phase]]\nweeks = [1, 4]\nevery_days = 2\nroutines = ["demo"]\n'


def test_the_program_line_follows_the_calendar(tmp_path, build_rig):
    (routines_dir(tmp_path) / "programs").mkdir()
    (tmp_path / "routines" / "programs" / "plan.toml").write_text(PLAN)
    first = dt.datetime.fromtimestamp(WALL_START + FakeClock().now()).date()
    program = {"program": "plan", "program_start": first.isoformat()}
    rig = build_rig(routines=program)
    title = rig.loop.controller.routines["demo"].title
    assert rig.loop.controller.program_line == f"Week 1 · Day 1 · today: {title}, 1 min"
    rig.run_for(24 * 3600)  # a mirror left running: nobody reloads anything
    assert rig.loop.controller.program_line == "Week 1 · Day 2 · today: rest"
    rig.run_for(24 * 3600)
    assert rig.loop.controller.program_line.endswith(f"today: {title}, 1 min")


def test_a_broken_program_file_keeps_the_program_line(tmp_path, build_rig):
    (routines_dir(tmp_path) / "programs").mkdir()
    plan_file = tmp_path / "routines" / "programs" / "plan.toml"
    plan_file.write_text(PLAN)
    program = {"program": "plan", "program_start": "2023-11-14"}
    rig = build_rig(routines=program)
    line = rig.loop.controller.program_line
    assert line
    plan_file.write_text(PLAN.replace("[1, 4]", "[1, four]"))
    rig.loop.post(Reload())
    rig.step()
    assert rig.loop.controller.program_line == line
    plan_file.unlink()
    rig.loop.post(Reload())
    rig.step()
    assert rig.loop.controller.program_line == ""  # deleted: gone


def test_a_request_the_loop_fails_on_is_still_answered(rig):
    answers: list[dict] = []
    rig.loop.post(Request({"cmd": "start", "name": ["x"]}, answers.append))
    rig.step()
    assert len(answers) == 1 and answers[0]["ok"] is False
    assert rig.loop.alive


def test_a_failing_timer_is_logged_and_the_loop_goes_on(rig, caplog):
    ran: list[float] = []

    def boom(now: float) -> None:
        raise RuntimeError("timer on fire")

    rig.loop.after(0.0, boom)
    rig.loop.after(0.0, ran.append)
    rig.step(0.1)
    assert rig.loop.alive and len(ran) == 1
    assert "timer on fire" in caplog.text
    rig.press("play")
    assert rig.state == "waiting"


def test_the_wait_survives_impossible_deadlines(rig):
    rig.run_for(120)  # idle and dark: no deadline of its own
    now = rig.clock.now()
    with pytest.raises(ValueError):
        rig.loop.after(float("inf"), print)
    rig.loop.timers.append((float("nan"), print))
    rig.loop.timers.append((float("inf"), print))
    assert rig.loop._wait(now, None) is None  # neither "now, forever" nor an overflow
    rig.loop.timers.append((now + 1e300, print))
    assert rig.loop._wait(now, None) == MAX_WAIT
    rig.loop.timers.clear()


def test_window_keys_act_as_buttons_in_a_simulation(rig):
    keys = [["play"], ["play", "next"], ["next:hold", "quit"]]

    class Window(RecordingOutput):
        def poll_keys(self, now):
            return keys.pop(0) if keys else []

    rig.loop.outputs.append(Window())
    rig.loop.after(0.0, poll_keys(rig.loop))
    rig.step()
    assert rig.state == "waiting"
    rig.step(KEY_POLL)
    assert rig.loop.controller.session.index == 2
    rig.step(KEY_POLL)
    assert rig.loop.controller.session.index == 1  # NEXT held: one step back
    assert rig.loop.run_once(timeout=0) is False  # the window was closed
