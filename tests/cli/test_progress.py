"""`program start|status|pause|resume|leave` without a daemon, and `history` with its
weekly totals, its exports and its chart (bars measured in pixels)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pygame
import pytest

from device.cli.main import main
from device.core.program import Phase, Program, Sitting
from device.core.totals import Week, weekly_minutes
from device.daemon.enrolment import ENROLMENT_FILE
from device.daemon.history import Session
from device.daemon.state import StateStore
from device.display.chart import BAR, layout


@pytest.fixture
def state(machine):
    return machine["XDG_STATE_HOME"] / "massage-timer"


def test_enrolment_from_the_command_line(state, capsys):
    assert main(["program", "status"]) == 0
    assert "not following a program" in capsys.readouterr().out
    assert main(["program", "start", "face-yoga-20-weeks", "--from", "2026-01-05"]) == 0
    assert json.loads((state / ENROLMENT_FILE).read_text())["start"] == "2026-01-05"
    assert main(["program", "pause"]) == 0
    assert "Program paused" in capsys.readouterr().out
    assert main(["program", "pause"]) == 1
    assert "already paused" in capsys.readouterr().err
    assert main(["program", "resume"]) == 0 and main(["program", "leave"]) == 0
    assert json.loads((state / ENROLMENT_FILE).read_text())["program"] == ""
    assert main(["program", "start", "nope"]) == 1
    assert "no program named 'nope'" in capsys.readouterr().err
    assert main(["program", "start", "face-yoga-20-weeks", "--from", "5 Jan"]) == 1
    assert "not a date" in capsys.readouterr().err


def test_history_shows_sessions_weeks_and_exports_everything(state, capsys):
    store = StateStore(state)
    monday = dt.datetime(2026, 1, 5, 7, 30).timestamp()
    store.record("demo", monday, 600.0, True)
    store.record("demo", monday + 86400, 300.0, False)
    store.log.append(Session("demo", monday + 8 * 86400, 120.0, False, partial=True))
    assert main(["history"]) == 0
    out = capsys.readouterr().out
    assert "cut short" in out and "stopped" in out and "completed" in out
    assert "Mon 05 Jan       15" in out and "Mon 12 Jan        2" in out
    assert main(["history", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["day"], r["seconds"], r["partial"]) for r in rows] == [
        ("2026-01-05", 600.0, False),
        ("2026-01-06", 300.0, False),
        ("2026-01-13", 120.0, True),
    ]
    assert main(["history", "--csv"]) == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["day"] for r in table] == ["2026-01-05", "2026-01-06", "2026-01-13"]


def test_weekly_minutes_include_empty_weeks_and_the_program_target():
    program = Program("p", "P", (Phase(1, 2, 1, (Sitting(("a",)),), minutes=30),))
    start = dt.date(2026, 1, 7)  # a Wednesday: five program days in its first week
    weeks = weekly_minutes(
        [(dt.date(2026, 1, 7), 1800), (dt.date(2026, 1, 21), 600)], program, start
    )
    assert weeks == [
        Week(dt.date(2026, 1, 5), 30.0, 150.0),
        Week(dt.date(2026, 1, 12), 0.0, 210.0),
        Week(dt.date(2026, 1, 19), 10.0, 60.0),
    ]


def test_the_png_has_a_bar_of_the_right_height_for_each_week(state, tmp_path, capsys):
    store = StateStore(state)
    minutes = [30, 60, 0, 90]  # four weeks from Monday 5 January 2026
    for week, total in enumerate(minutes):
        if total:
            day = dt.datetime(2026, 1, 5 + 7 * week, 8).timestamp()
            store.record("demo", day, total * 60.0, True)
    out = tmp_path / "chart.png"
    assert main(["history", "--png", str(out)]) == 0
    image = pygame.image.load(str(out))
    weeks = [Week(dt.date(2026, 1, 5) + dt.timedelta(weeks=n), m) for n, m in enumerate(minutes)]
    shape = layout(weeks, image.get_size())
    heights = []
    for index in range(len(minutes)):
        x = shape.bar(index, 1).centerx
        column = [image.get_at((x, y))[:3] for y in range(image.get_height())]
        heights.append(sum(1 for colour in column if colour == BAR))
    assert heights[2] == 0 and heights[0] > 0
    assert heights[1] == pytest.approx(2 * heights[0], abs=1)  # 60 minutes: twice 30
    assert heights[3] == pytest.approx(3 * heights[0], abs=1)
    assert heights[3] == round(90 * shape.per_minute)
