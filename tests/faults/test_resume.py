"""Fault suite, resume offers: one for a routine that is gone never swallows PLAY, and an
offer expires after the resume window while the daemon runs (failure 8 of issue 10)."""

from __future__ import annotations

from dataclasses import replace

from device.daemon.inbox import Reload
from device.daemon.state import RESUME_FILE, Place, StateStore
from tests.daemon_helpers import WALL_START, routines_dir

OFFER = Place(
    "demo", "Quick demo", 2, "Forehead strokes", 20.0, WALL_START + 1000
)  # FakeClock: 1000


def offer(tmp_path, place: Place = OFFER) -> None:
    StateStore(tmp_path / "state").save(place)


def test_an_offer_for_a_deleted_routine_does_not_swallow_play(tmp_path, build_rig):
    routines_dir(tmp_path, "jawline-and-chin")  # demo.toml is gone
    offer(tmp_path)
    rig = build_rig()
    assert rig.loop.tracker.place is None
    assert not (tmp_path / "state" / RESUME_FILE).exists()
    rig.press("play")  # the first press starts the selected routine
    assert rig.loop.controller.session.timeline.routine.name == "jawline-and-chin"


def test_an_offer_whose_routine_is_deleted_while_offered_does_not_swallow_play(tmp_path, build_rig):
    routines_dir(tmp_path)
    offer(tmp_path)
    rig = build_rig()
    assert rig.loop.tracker.place == replace(OFFER, counted=True)
    (rig.folder / "demo.toml").unlink()
    rig.loop.post(Reload())
    rig.step()
    rig.press("play")
    assert rig.state in ("running", "waiting")
    assert rig.loop.controller.session.timeline.routine.name == "jawline-and-chin"


def test_an_offer_expires_after_the_window_while_the_daemon_runs(tmp_path, build_rig):
    offer(tmp_path)
    rig = build_rig(daemon={"resume_window": 600.0})
    rig.step()
    assert rig.output.views[-1][1].offer == "Resume Quick demo at step 3?"
    rig.run_for(599)
    assert rig.loop.tracker.place is not None
    rig.run_for(2)
    assert rig.loop.tracker.place is None
    assert rig.output.views[-1][1].offer == ""  # the screen no longer offers it
    assert not (tmp_path / "state" / RESUME_FILE).exists()
    rig.press("play")
    assert rig.loop.controller.session.index == 0  # a fresh start, not step 3
