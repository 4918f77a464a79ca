"""A program session of several routines, run end to end in simulation (FakeClock):
enrolled over ctl, started by PLAY on the idle screen, closed with words that are true."""

from __future__ import annotations

import datetime as dt

from device.core.session import Sound
from device.core.view import IdleView
from device.daemon.enrolment import ENROLMENT_FILE
from device.daemon.following import REMINDER
from device.daemon.inbox import Request
from tests.daemon_helpers import WALL_START, routines_dir

SESSION = """title = "Two a day"

[[phase]]
weeks = [1, 2]
every_days = 1
minutes = 3
sessions = [{ title = "Jaw then demo", routines = ["jawline-and-chin", "demo"] }]
"""


def ask(rig, cmd: str, **fields) -> dict:
    answers: list[dict] = []
    rig.loop.post(Request({"cmd": cmd, **fields}, answers.append))
    rig.step()
    return answers[0]


def enrolled(tmp_path, build_rig):
    (routines_dir(tmp_path) / "programs").mkdir()
    (tmp_path / "routines" / "programs" / "two.toml").write_text(SESSION)
    rig = build_rig()
    reply = ask(rig, "program-start", name="two")
    assert reply["ok"], reply
    return rig


def test_play_runs_the_whole_session_and_the_day_is_done(tmp_path, build_rig):
    rig = enrolled(tmp_path, build_rig)
    assert (tmp_path / "state" / ENROLMENT_FILE).exists()
    assert rig.loop.controller.program_line == "Week 1 · Day 1 · today: Jaw then demo, 3 min"
    status = ask(rig, "status")["status"]
    assert status["today"] == {"title": "Jaw then demo", "routines": ["jawline-and-chin", "demo"]}
    assert (status["minutes"], status["streak"], status["done_today"]) == (3, 0, False)

    rig.press("play")
    titles = set()
    for _ in range(2000):  # step through both routines, pressing PLAY on wait steps
        if rig.state == "idle":
            break
        titles.add(rig.loop.controller.view(rig.clock.now()).title)
        if rig.state == "waiting":
            rig.press("play")
        rig.run_for(5)
    assert rig.state == "idle", titles
    assert {t.split(" · ")[0] for t in titles if " · " in t} == {"1/2", "2/2"}, titles
    history = rig.loop.tracker.store.history()
    assert [(s.routine, s.completed) for s in history] == [
        ("jawline-and-chin", True),
        ("demo", True),
    ]
    assert rig.output.said[-2:] == ["That's day 1.", "See you tomorrow."]
    assert set(rig.output.said[-2:]) <= rig.output.phrases  # rendered ahead, like every phrase
    assert rig.loop.controller.program_line == "Week 1 · Day 1 · 1-day streak · done today ✓"
    status = ask(rig, "status")["status"]
    assert status["done_today"] and status["streak"] == 1


def test_stop_ends_the_whole_session_and_next_chooses_a_routine(tmp_path, build_rig):
    rig = enrolled(tmp_path, build_rig)
    rig.press("play")
    assert rig.loop.controller.queue == ["demo"]
    rig.hold("play")  # STOP
    assert rig.state == "idle" and not rig.loop.controller.queue
    assert not ask(rig, "status")["status"]["done_today"]
    rig.press("next")  # a routine chosen: PLAY plays it, not the program's session
    rig.press("play")
    assert rig.loop.controller.sitting == ("", ())


def test_pause_resume_and_leave_over_ctl(tmp_path, build_rig):
    rig = enrolled(tmp_path, build_rig)
    assert ask(rig, "program-pause")["ok"]
    assert rig.loop.controller.program_line == "Program paused"
    assert ask(rig, "program-pause") == {
        "ok": False,
        "error": f"the program is already paused (since {_today()})",
    }
    assert ask(rig, "program-resume")["ok"]
    assert rig.loop.controller.program_line.startswith("Week 1 · Day 1")
    assert ask(rig, "program-leave")["ok"]
    assert rig.loop.controller.program_line == "" and rig.loop.controller.due == ("", ())
    assert not ask(rig, "program-start", name="nope")["ok"]


def _today() -> dt.date:
    return dt.datetime.fromtimestamp(WALL_START).date()


def window(hours_from_now: int, length: int) -> str:
    """A daily window starting ``hours_from_now`` hours from the rig's wall clock hour."""
    hour = dt.datetime.fromtimestamp(WALL_START).hour
    first, last = (hour + hours_from_now) % 24, (hour + hours_from_now + length) % 24
    return f"{first:02d}:00-{last:02d}:00"


def reminded(tmp_path, build_rig, mock_factory, span: str, chime: bool = True):
    (routines_dir(tmp_path) / "programs").mkdir()
    (tmp_path / "routines" / "programs" / "two.toml").write_text(SESSION)
    motion = {"enabled": True, "pin": 4, "reminder": span, "reminder_chime": chime}
    rig = build_rig(motion=motion)
    assert ask(rig, "program-start", name="two")["ok"]
    rig.run_for(120)  # the screen goes dark
    mock_factory.pin(4).drive_high()
    rig.step()
    return rig


def last_idle(rig) -> IdleView:
    return [view for _, view in rig.output.views if isinstance(view, IdleView)][-1]


def test_motion_in_the_window_shows_the_reminder_and_chimes_once_a_day(
    tmp_path, build_rig, mock_factory
):
    rig = reminded(tmp_path, build_rig, mock_factory, window(0, 2))
    assert last_idle(rig).offer == REMINDER
    chimes = [a for _, a in rig.output.actions if isinstance(a, Sound) and a.name == "chime"]
    assert len(chimes) == 1
    mock_factory.pin(4).drive_low()
    rig.step(5)
    mock_factory.pin(4).drive_high()  # by again: shown, not chimed again
    rig.step()
    chimes = [a for _, a in rig.output.actions if isinstance(a, Sound) and a.name == "chime"]
    assert len(chimes) == 1 and last_idle(rig).offer == REMINDER
    rig.press("play")  # today's session starts: no more reminder
    rig.hold("play")
    assert rig.state == "idle"
    assert last_idle(rig).offer == ""


def test_no_reminder_outside_the_window_or_when_done(tmp_path, build_rig, mock_factory):
    rig = reminded(tmp_path, build_rig, mock_factory, window(3, 1))
    assert last_idle(rig).offer == ""
    assert not [a for _, a in rig.output.actions if isinstance(a, Sound) and a.name == "chime"]
