"""The whole device as a state machine: idle selection, one session, wake and sleep."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from device.clock import FakeClock
from device.core.catalog import load_catalog
from device.core.controller import DEFAULT_GESTURES, INPUTS, SINGLE_BUTTON_GESTURES, Controller
from device.core.session import Say, State, StepStarted
from device.core.timeline import all_phrases, plan
from device.core.view import IdleView, RoutineView
from device.exc import UnknownRoutineError
from tests.core_helpers import ROUTINES, routine_of, said

LIBRARY = load_catalog([ROUTINES]).routines


def short(title: str):
    return routine_of({"name": "Hold", "say": f"{title} hold.", "duration": "10s"}, title=title)


ROUTINES_ABC = {"alpha": short("Alpha"), "beta": short("Beta"), "gamma": short("Gamma")}


def intro(routine) -> str:
    return plan(routine).intro[0].content


def test_selection_defaults_and_cycles_in_name_order():
    clock = FakeClock()
    controller = Controller(ROUTINES_ABC)
    assert controller.selected == "alpha"
    assert said(controller.handle("next", clock.now())) == [intro(ROUTINES_ABC["beta"])]
    controller.handle("next", clock.now())
    controller.handle("next", clock.now())
    assert controller.selected == "alpha"  # wraps around
    controller.handle("prev", clock.now())
    assert controller.selected == "gamma"
    assert said(controller.handle("repeat", clock.now())) == [intro(ROUTINES_ABC["gamma"])]
    assert Controller(ROUTINES_ABC, selected="beta").selected == "beta"
    assert Controller(ROUTINES_ABC, selected="nope").selected == "alpha"
    assert Controller({}).selected == ""


def test_play_starts_the_selected_routine_and_it_returns_to_idle():
    clock = FakeClock()
    controller = Controller(ROUTINES_ABC, selected="beta")
    actions = controller.handle("play", clock.now())
    assert said(actions) == [intro(ROUTINES_ABC["beta"]), "Beta hold."]
    assert controller.running and isinstance(controller.view(clock.now()), RoutineView)
    assert controller.next_deadline(clock.now()) == clock.now() + 7  # the first beep
    while (deadline := controller.next_deadline(clock.now())) is not None and controller.running:
        clock.advance(deadline - clock.now())
        actions = controller.tick(clock.now())
    assert said(actions) == ["Well done. Beta is complete."]
    assert not controller.running and controller.session is None
    view = controller.view(clock.now())
    assert view == IdleView(awake=True, routine_title="Beta", routine_length=10.0)
    assert controller.next_deadline(clock.now()) == clock.now() + 60  # the screen sleeps then


def test_the_screen_wakes_on_input_and_sleeps_after_the_wake_time():
    clock = FakeClock()
    controller = Controller(ROUTINES_ABC, wake_seconds=30)
    assert controller.view(clock.now()).awake is False
    assert controller.next_deadline(clock.now()) is None
    controller.handle("where", clock.now())
    assert controller.view(clock.now()).awake is True
    assert controller.next_deadline(clock.now()) == clock.now() + 30
    clock.advance(30)
    assert controller.view(clock.now()).awake is False
    assert controller.next_deadline(clock.now()) is None


def test_the_idle_screen_plans_the_routine_only_while_lit():
    clock, planned = FakeClock(), []

    def planner(routine):
        planned.append(routine.title)
        return plan(routine)

    controller = Controller(ROUTINES_ABC, selected="beta", planner=planner)
    assert controller.view(clock.now()) == IdleView(awake=False, routine_title="Beta")
    assert planned == []  # black glass: a plan would be thrown away
    controller.wake(clock.now())
    assert controller.view(clock.now()).routine_length == 10.0
    assert planned == ["Beta"]


def test_inputs_reach_the_running_session():
    clock = FakeClock()
    controller = Controller(LIBRARY, selected="demo")
    controller.handle("play", clock.now())
    assert controller.session.state is State.WAITING
    controller.handle("play", clock.now())  # leaves the oil step
    assert controller.session.index == 1
    controller.handle("pause", clock.now())
    assert controller.session.state is State.PAUSED
    controller.handle("start", clock.now())  # "start" in a paused routine resumes it
    assert controller.session.state is State.RUNNING
    controller.handle("start", clock.now())  # and in a running one changes nothing,
    assert controller.session.state is State.RUNNING  # where PLAY would pause it
    assert controller.session.index == 1  # nor does it start the routine over
    controller.handle("next", clock.now())
    assert controller.session.index == 2
    assert said(controller.handle("where", clock.now()))[0] == "Step 3 of 4. Forehead strokes."
    assert controller.handle("stop", clock.now())[0].state is State.DONE
    assert controller.session is None and not controller.running


def test_start_by_name_replaces_a_running_session():
    clock = FakeClock()
    controller = Controller(ROUTINES_ABC)
    controller.start("alpha", clock.now())
    clock.advance(3)
    actions = controller.start("gamma", clock.now())
    assert [a for a in actions if isinstance(a, StepStarted)] == [
        StepStarted(0, "Hold", clock.now())
    ]
    assert controller.selected == "gamma" and controller.session.timeline.routine.title == "Gamma"
    with pytest.raises(UnknownRoutineError, match="no routine named 'delta'"):
        controller.start("delta", clock.now())
    with pytest.raises(UnknownRoutineError):
        controller.select("delta", clock.now())


def test_unknown_input_is_refused():
    with pytest.raises(ValueError, match="unknown input 'jump'"):
        Controller(ROUTINES_ABC).handle("jump", 0.0)


def test_a_reload_keeps_the_running_version():
    clock = FakeClock()
    controller = Controller(ROUTINES_ABC, selected="alpha")
    controller.handle("play", clock.now())
    controller.update_routines({"beta": short("Beta")})
    assert controller.selected == "beta"
    assert controller.session.timeline.routine.title == "Alpha"
    controller.update_routines({})
    assert controller.selected == ""
    assert controller.handle("stop", clock.now())
    assert controller.handle("play", clock.now()) == []  # nothing to start
    assert controller.view(clock.now()).routine_title == "No routines"


def test_gesture_tables_map_to_known_inputs():
    for table in (DEFAULT_GESTURES, SINGLE_BUTTON_GESTURES):
        assert set(table.values()) <= set(INPUTS)
    assert DEFAULT_GESTURES[("play", "hold")] == "stop"
    assert SINGLE_BUTTON_GESTURES[("play", "double")] == "next"


@given(
    st.lists(
        st.tuples(st.sampled_from([*INPUTS, "tick"]), st.floats(0, 20, allow_nan=False)),
        max_size=40,
    )
)
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_input_sequence_speaks_only_prerendered_phrases(events):
    clock = FakeClock()
    controller = Controller(LIBRARY, selected="demo")
    phrases = set().union(*(all_phrases(plan(r)) for r in LIBRARY.values()))
    for name, advance in events:
        clock.advance(advance)
        now = clock.now()
        actions = controller.tick(now) if name == "tick" else controller.handle(name, now)
        assert set(said(actions)) <= phrases
        assert all(a.due <= now for a in actions)
        assert all(isinstance(a.text, str) for a in actions if isinstance(a, Say))
        deadline = controller.next_deadline(now)
        assert deadline is None or deadline > now
        assert controller.running == (controller.session is not None)


def test_the_chosen_routine_survives_loading_late_and_breaking_for_a_while():
    routines = load_catalog([ROUTINES]).routines
    controller = Controller({}, "morning-depuff")  # chosen before anything has loaded
    assert controller.selected == ""
    controller.update_routines(routines)
    assert controller.selected == "morning-depuff"
    broken = {name: r for name, r in routines.items() if name != "morning-depuff"}
    controller.update_routines(broken)  # its file has a typo for a moment
    assert controller.selected in broken
    controller.update_routines(routines)  # fixed: the person's choice comes back
    assert controller.selected == "morning-depuff"
