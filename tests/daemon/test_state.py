"""Atomic state, the history file, and resuming after a crash through the real loop."""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict

import pytest

from device.daemon.state import HISTORY_FILE, RESUME_FILE, Place, StateStore, write_atomic


def place(saved_at: float = 1000.0) -> Place:
    return Place("demo", "Quick demo", 3, "Jaw hold", 40.0, saved_at)


def test_write_atomic_replaces_whole_files_and_leaves_no_temp(tmp_path):
    target = tmp_path / "deep" / "state.json"
    write_atomic(target, "old")
    write_atomic(target, "new")
    assert target.read_text() == "new"
    assert os.listdir(target.parent) == ["state.json"]


def test_place_round_trip_within_the_window(tmp_path):
    now = [1000.0]
    store = StateStore(tmp_path, wall=lambda: now[0])
    store.save(place())
    now[0] = 1000.0 + 3600
    assert store.load(window=6 * 3600) == place()
    assert store.load(window=60) is None
    store.clear()
    store.clear()  # twice is fine
    assert store.load(window=6 * 3600) is None


def test_a_corrupt_record_is_ignored(tmp_path, caplog):
    (tmp_path / RESUME_FILE).write_text('{"routine": "demo"')
    assert StateStore(tmp_path).load(window=10) is None
    assert "ignoring the resume record" in caplog.text


def test_history_survives_a_torn_last_line(tmp_path):
    store = StateStore(tmp_path)
    store.record("demo", 1000.0, 61.0, True)
    store.record("jawline-and-chin", 2000.0, 12.0, False)
    with open(tmp_path / HISTORY_FILE, "a") as handle:
        handle.write('{"routine": "cut sh')
    assert [e.routine for e in store.history()] == ["demo", "jawline-and-chin"]


def test_an_unwritable_state_folder_is_logged_at_every_failure(tmp_path, caplog):
    (tmp_path / "file").write_text("")
    store = StateStore(tmp_path / "file" / "state")
    store.save(place())
    store.save(place())
    store.record("demo", 0, 0, True)
    assert caplog.text.count("cannot write state") == 2
    assert "cannot write the history" in caplog.text and "(1 waiting" in caplog.text


def test_resume_after_a_crash(tmp_path, build_rig):
    first = build_rig()
    first.press("play")
    first.press("play")
    first.press("next")  # now on step 3, "Forehead strokes"
    saved = json.loads((tmp_path / "state" / RESUME_FILE).read_text())
    assert (saved["routine"], saved["step"], saved["elapsed"]) == ("demo", 2, 20.0)
    first.close()  # the power goes; nothing else is cleaned up

    second = build_rig()
    view = second.loop.controller.view(second.clock.now())
    second.step()
    shown = second.output.views[-1][1]
    assert shown.offer == "Resume Quick demo at step 3?"
    assert second.loop.tracker.status(second.loop.controller, 0)["offer"] == shown.offer
    assert view.offer == ""  # the controller itself knows nothing of it
    second.press("play")
    session = second.loop.controller.session
    assert (second.state, session.index) == ("running", 2)
    assert second.output.said[0].startswith("Place your fingertips just above")


def test_next_discards_the_offer(tmp_path, build_rig):
    StateStore(tmp_path / "state", wall=lambda: 1_700_001_000.0).save(
        Place("demo", "Quick demo", 2, "Forehead strokes", 20.0, 1_700_001_000.0)
    )
    rig = build_rig()
    assert rig.loop.tracker.place is not None
    rig.press("next")
    assert rig.loop.tracker.place is None
    assert rig.loop.controller.selected == "demo"  # NEXT did not also change routine
    assert not (tmp_path / "state" / RESUME_FILE).exists()


def test_an_old_record_is_not_offered(tmp_path, build_rig):
    StateStore(tmp_path / "state").save(place(saved_at=1.0))
    rig = build_rig()
    assert rig.loop.tracker.place is None


def test_finishing_or_stopping_clears_the_record_and_writes_history(tmp_path, build_rig):
    rig = build_rig()
    rig.press("play")
    rig.press("play")
    rig.run_for(70)
    rig.press("play")
    rig.hold("play")
    store = StateStore(tmp_path / "state")
    assert not (tmp_path / "state" / RESUME_FILE).exists()
    assert [(e.routine, e.completed) for e in store.history()] == [
        ("demo", True),
        ("demo", False),
    ]


@pytest.mark.parametrize(
    "change",
    [
        {"saved_at": "yesterday"},
        {"saved_at": None},
        {"step": "3"},
        {"step": -1},
        {"step": 2.5},
        {"elapsed": float("nan")},
        {"routine": ["demo"]},
    ],
)
def test_a_record_with_a_wrongly_typed_field_is_ignored(tmp_path, caplog, change, build_rig):
    record = {**asdict(place(saved_at=1_700_001_000.0)), **change}
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / RESUME_FILE).write_text(json.dumps(record))
    rig = build_rig()  # start-up does not crash
    assert rig.loop.tracker.place is None
    assert caplog.text.count("ignoring the resume record") == 1
    rig.press("play")
    assert rig.state == "waiting"


def test_a_record_that_is_not_an_object_is_ignored(tmp_path, caplog):
    for text in ("[1, 2]", "3", "null"):
        (tmp_path / RESUME_FILE).write_text(text)
        assert StateStore(tmp_path).load(window=10) is None
    assert caplog.text.count("ignoring the resume record") == 3


def test_records_keep_their_utc_offset_and_old_lines_still_read(tmp_path, monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        store = StateStore(tmp_path)
        store.record("demo", 1_780_000_000.0, 61.0, True)  # 28 May 2026: daylight time
        store.record("demo", 1_767_225_600.0, 61.0, True)  # 1 Jan 2026: standard time
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    with open(tmp_path / HISTORY_FILE, "a") as handle:
        handle.write('{"routine": "old", "started": 1000.0, "seconds": 5, "completed": true}\n')
        handle.write('{"routine": "odd", "started": 1000.0, "seconds": 5, "utc_offset": "x"}\n')
    offsets = [(s.routine, s.utc_offset) for s in store.history()]
    assert offsets == [("demo", -4 * 3600), ("demo", -5 * 3600), ("old", None), ("odd", None)]
