"""The timer state machine, driven by a FakeClock: what happens, and exactly when."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from device.clock import FakeClock
from device.core.routine import load_routine
from device.core.session import (
    STALE_AFTER,
    Command,
    Say,
    Session,
    Sound,
    State,
    StateChanged,
    StepStarted,
)
from device.core.timeline import all_phrases, plan
from tests.core_helpers import (
    ROUTINES,
    active_time,
    dumps,
    load_text,
    routine_of,
    routine_tables,
    run_through,
    said,
)

DEMO = load_routine(ROUTINES / "demo.toml")
PROPERTY = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def started_demo(clock: FakeClock) -> tuple[Session, float]:
    """The demo, started and past its oil step; returns the session and step 2's start."""
    session = Session.of(DEMO)
    session.handle(Command.START, clock.now())
    clock.advance(5)
    session.handle(Command.PLAY, clock.now())
    return session, clock.now()


def until(session: Session, clock: FakeClock, offset: float, base: float) -> list:
    """TICK at every deadline up to ``base + offset``, as the event loop would."""
    actions = []
    while (deadline := session.next_deadline()) is not None and deadline <= base + offset:
        clock.advance(deadline - clock.now())
        actions += session.handle(Command.TICK, clock.now())
    clock.advance(max(0.0, base + offset - clock.now()))
    return actions + session.handle(Command.TICK, clock.now())


def stamped(actions, base: float) -> list[tuple[float, str]]:
    out = []
    for a in actions:
        what = {
            Say: lambda a: f"say {a.text}",
            Sound: lambda a: f"sound {a.name}",
            StepStarted: lambda a: f"step {a.index}",
            StateChanged: lambda a: f"state {a.state.value}",
        }[type(a)](a)
        out.append((round(a.due - base, 3), what))
    return out


# -- a whole routine ----------------------------------------------------------------


def test_the_demo_from_start_to_finish():
    clock = FakeClock(1000.0)
    session = Session.of(DEMO)
    opening = session.handle(Command.START, clock.now())
    assert stamped(opening, 1000.0) == [
        (0, "say " + plan(DEMO).intro[0].content),
        (0, "step 0"),
        (0, "state waiting"),
        (0, "sound chime"),
        (
            0,
            "say Warm two or three drops of oil between your palms. Press play when you are ready.",
        ),
    ]
    assert session.next_deadline() is None  # a wait step holds; nothing is timed
    clock.advance(7.5)
    actions = session.handle(Command.PLAY, clock.now())
    base = clock.now()
    actions += until(session, clock, 61, base)
    timeline = stamped(actions, base)
    assert [t for t in timeline if t[1].startswith(("step", "state"))] == [
        (0, "step 1"),
        (0, "state running"),
        (20, "step 2"),
        (20, "state running"),
        (40, "step 3"),
        (40, "state running"),
        (60, "state done"),
    ]
    assert [t for t in timeline if t[1].startswith("say")][1:5] == [
        (3.333, "say two"),
        (6.667, "say three"),
        (10, "say Switch. Now your right cheek."),
        (13.333, "say two"),
    ]
    assert [t[0] for t in timeline if t[1] == "sound tick"] == [23, 26, 29, 32, 35]
    beeps = [t[0] for t in timeline if t[1] == "sound beep"]
    assert beeps == [7, 8, 9, 17, 18, 19, 37, 38, 39, 57, 58, 59]
    assert (30, "say Halfway. Keep your brows relaxed.") in timeline
    assert (49, "say Let your teeth part. Let your jaw go heavy.") in timeline
    assert timeline[-2:] == [
        (60, "sound bell"),
        (60, "say That was the demo. Every routine works the same way. Well done."),
    ]
    assert session.state is State.DONE and session.next_deadline() is None


def test_run_through_every_bundled_routine_speaks_only_prerendered_phrases():
    for path in sorted(ROUTINES.glob("*.toml")):
        routine = load_routine(path)
        actions = run_through(Session.of(routine), start=50.0, step=0.5)
        assert set(said(actions)) <= all_phrases(plan(routine)), path.name
        assert math.isclose(active_time(actions), routine.duration), path.name


# -- pause and resume ---------------------------------------------------------------


def test_pause_and_resume_shift_every_deadline_exactly():
    clock = FakeClock()
    session, base = started_demo(clock)
    until(session, clock, 5.0, base)
    assert session.next_deadline() == pytest.approx(base + 20 / 3)  # the count "three"
    paused = session.handle(Command.PAUSE, clock.now())
    assert stamped(paused, base) == [(5, "state paused"), (5, "sound chime")]
    assert session.next_deadline() is None
    clock.advance(100)
    assert session.handle(Command.TICK, clock.now()) == []  # nothing fires while paused
    assert session.elapsed(clock.now()) == 5.0
    resumed = session.handle(Command.RESUME, clock.now())
    assert stamped(resumed, base) == [(105, "state running"), (105, "sound chime")]
    assert session.next_deadline() == pytest.approx(base + 100 + 20 / 3)
    later = stamped(until(session, clock, 100 + 20, base), base + 100)
    assert (6.667, "say three") in later and (10, "say Switch. Now your right cheek.") in later
    assert (20, "step 2") in later


def test_play_toggles_pause_and_pause_resume_are_idempotent():
    clock = FakeClock()
    session, _ = started_demo(clock)
    assert session.handle(Command.RESUME, clock.now()) == []
    session.handle(Command.PLAY, clock.now())
    assert session.state is State.PAUSED
    assert session.handle(Command.PAUSE, clock.now()) == []
    session.handle(Command.PLAY, clock.now())
    assert session.state is State.RUNNING


# -- moving between steps -------------------------------------------------------------


def test_wait_steps_hold_until_play():
    clock = FakeClock()
    session = Session.of(DEMO)
    session.handle(Command.START, clock.now())
    clock.advance(3600)
    assert session.handle(Command.TICK, clock.now()) == []
    assert (session.state, session.index, session.elapsed(clock.now())) == (State.WAITING, 0, 0)
    actions = session.handle(Command.PLAY, clock.now())
    assert stamped(actions, clock.now())[:2] == [(0, "step 1"), (0, "state running")]


def test_next_and_prev_restart_steps_at_the_moment_of_the_press():
    clock = FakeClock()
    session, base = started_demo(clock)
    clock.advance(4)
    actions = session.handle(Command.NEXT, clock.now())
    assert stamped(actions, base)[-4:] == [
        (4, "step 2"),
        (4, "state running"),
        (4, "sound chime"),
        (4, "say " + plan(DEMO).steps[2].cues[1].content),
    ]
    assert session.next_deadline() == base + 4 + 3  # the first tempo tick
    clock.advance(2)
    session.handle(Command.PREV, clock.now())
    assert (session.index, session.elapsed(clock.now())) == (1, 0.0)
    session.handle(Command.PREV, clock.now())
    session.handle(Command.PREV, clock.now())  # already at the first step: stays there
    assert (session.index, session.state) == (0, State.WAITING)
    for _ in range(4):
        actions = session.handle(Command.NEXT, clock.now())
    assert session.state is State.DONE
    assert stamped(actions, clock.now())[0] == (0, "state done")
    assert session.handle(Command.NEXT, clock.now()) == []


def test_stop_ends_without_the_finish():
    clock = FakeClock()
    session, _ = started_demo(clock)
    assert session.handle(Command.STOP, clock.now()) == [StateChanged(State.DONE, clock.now())]
    assert session.handle(Command.STOP, clock.now()) == []
    assert session.handle(Command.PLAY, clock.now()) == []


def test_commands_before_start_do_nothing_but_repeat_the_intro():
    session = Session.of(DEMO)
    for command in (Command.NEXT, Command.PREV, Command.PAUSE, Command.WHERE, Command.TICK):
        assert session.handle(command, 1.0) == []
    intro = plan(DEMO).intro[0].content
    assert session.handle(Command.REPEAT, 1.0) == [Say(intro, 4, 1.0)]
    assert session.state is State.READY


def test_stale_cues_are_skipped_after_a_stall_but_steps_still_advance():
    clock = FakeClock()
    session, base = started_demo(clock)
    clock.advance(25)  # the loop stalled for 25 s
    actions = stamped(session.handle(Command.TICK, clock.now()), base)
    # every cue more than STALE_AFTER late is dropped, except the announcement of the
    # step we land in: step 3's chime and instruction, due at 20, come now, at 25
    assert STALE_AFTER == 1.5
    instruction = plan(DEMO).steps[2].instructions[0]
    assert actions == [
        (20, "step 2"),
        (20, "state running"),
        (25, "sound chime"),
        (25, f"say {instruction}"),
    ]
    clock.advance(1.4)  # the tick due at 26 fires 0.4 s late: still on time enough
    assert stamped(session.handle(Command.TICK, clock.now()), base) == [(26, "sound tick")]
    assert session.next_deadline() == base + 29  # the next tick, on the original grid


# -- repeat and where --------------------------------------------------------------------


def test_repeat_says_the_current_instruction_and_keeps_time():
    clock = FakeClock()
    session, _ = started_demo(clock)
    clock.advance(12)
    session.handle(Command.TICK, clock.now())
    deadline = session.next_deadline()
    actions = session.handle(Command.REPEAT, clock.now())
    # 12 s into a 20 s step with sides: the instruction for the second (right) side.
    right = plan(DEMO).steps[1].instructions[1]
    assert "right cheek" in right
    assert actions == [Say(right, 4, clock.now())]
    assert session.next_deadline() == deadline and session.state is State.RUNNING


def test_repeat_on_the_first_side_says_the_instruction_spoken_at_the_start():
    clock = FakeClock()
    session, _ = started_demo(clock)
    clock.advance(3)
    session.handle(Command.TICK, clock.now())
    actions = session.handle(Command.REPEAT, clock.now())
    assert actions == [Say(plan(DEMO).steps[1].cues[1].content, 4, clock.now())]
    assert "left cheek" in actions[0].text


def test_where_says_step_side_and_time_left():
    clock = FakeClock()
    session, base = started_demo(clock)
    until(session, clock, 12.2, base)  # 2.2 s into the right side of "Cheek sweeps"
    assert said(session.handle(Command.WHERE, clock.now())) == [
        "Step 2 of 4. Cheek sweeps.",
        "Right side.",
        "About ten seconds left.",
    ]
    until(session, clock, 33, base)
    assert said(session.handle(Command.WHERE, clock.now())) == [
        "Step 3 of 4. Forehead strokes.",
        "About ten seconds left.",
    ]
    session.handle(Command.PAUSE, clock.now())
    clock.advance(30)
    assert said(session.handle(Command.WHERE, clock.now()))[-1] == "About ten seconds left."
    waiting = Session.of(DEMO)
    waiting.handle(Command.START, 0.0)
    assert said(waiting.handle(Command.WHERE, 1.0)) == [
        "Step 1 of 4. Apply oil.",
        "Press play when you are ready.",
    ]


def test_fill_ins_are_spoken_resolved():
    routine = routine_of(
        {"name": "Oil", "say": "Oil first; then {next}.", "wait": True},
        {"name": "Press", "say": "{step}: {remaining} to go.", "duration": "1m30s"},
        title="Short one",
        defaults={"warning": "0s", "countdown": 0},
        intro="{routine}, {duration}.",
        finish="{routine} done in {duration}.",
    )
    actions = run_through(Session.of(routine))
    assert said(actions) == [
        "Short one, one minute thirty.",
        "Oil first; then Press.",
        "Press: one minute thirty to go.",
        "Short one done in one minute thirty.",
    ]


# -- the view --------------------------------------------------------------------------------


def test_view_follows_side_rep_and_time_left():
    clock = FakeClock()
    session, base = started_demo(clock)
    until(session, clock, 14.0, base)
    view = session.view(clock.now())
    assert (view.state, view.step_index, view.step_name, view.side) == (
        "running",
        1,
        "Cheek sweeps",
        "right",
    )
    assert (view.rep, view.reps, view.area, view.stroke) == (2, 3, "cheeks", "out")
    assert view.step_left == pytest.approx(6.0)
    assert view.routine_left == pytest.approx(46.0)
    assert view.progress == pytest.approx(14 / 60)
    assert view.next_name == "Forehead strokes"
    assert view.instruction == plan(DEMO).steps[1].instructions[1]  # the right side's
    assert "right cheek" in view.instruction
    session.handle(Command.PAUSE, clock.now())
    clock.advance(50)
    assert session.view(clock.now()).step_left == pytest.approx(6.0)
    assert session.view(clock.now()).state == "paused"


# -- properties ----------------------------------------------------------------------------

_COMMANDS = st.sampled_from(list(Command))
_EVENTS = st.lists(st.tuples(_COMMANDS, st.floats(0, 40, allow_nan=False)), min_size=1, max_size=40)


def _check_invariants(session: Session, actions, now: float, phrases: set[str]) -> None:
    dues = [a.due for a in actions]
    assert dues == sorted(dues), "time ran backwards inside one handle()"
    assert all(due <= now + 1e-9 for due in dues), "an action is due in the future"
    assert 0 <= session.index < len(session.timeline.steps)
    step = session.current.step
    if session.state is not State.DONE:
        assert 0 <= session.elapsed(now) <= step.duration + 1e-9
    assert set(said(actions)) <= phrases


@given(routine_tables(), st.sampled_from([Command.START, Command.PLAY]), _EVENTS)
@PROPERTY
def test_random_events_keep_the_invariants(data, first, events):
    routine = load_text(dumps(data))
    phrases = all_phrases(plan(routine))
    session, clock = Session.of(routine), FakeClock(0.0)
    _check_invariants(session, session.handle(first, clock.now()), clock.now(), phrases)
    for command, advance in events:
        clock.advance(advance)
        actions = session.handle(command, clock.now())
        _check_invariants(session, actions, clock.now(), phrases)
        deadline = session.next_deadline()
        assert deadline is None or deadline > clock.now()


@given(
    routine_tables(),
    st.lists(st.tuples(st.booleans(), st.floats(0.01, 90, allow_nan=False)), max_size=30),
)
@PROPERTY
def test_active_time_is_the_routine_length_whatever_the_pauses(data, events):
    """Pauses and ticks only: the time spent running adds up to the routine's duration."""
    routine = load_text(dumps(data))
    session, clock = Session.of(routine), FakeClock(0.0)
    actions = session.handle(Command.START, clock.now())
    for toggle, advance in [*events, *[(False, 60.0)] * 1000]:
        if session.state is State.DONE:
            break
        clock.advance(advance)
        if session.state is State.WAITING or toggle or session.state is State.PAUSED:
            actions += session.handle(Command.PLAY, clock.now())
        else:
            actions += session.handle(Command.TICK, clock.now())
    assert session.state is State.DONE
    assert math.isclose(active_time(actions), routine.duration, abs_tol=1e-6)


def test_the_clock_starts_after_the_instruction_and_the_view_counts_cycles():
    routine = routine_of(
        {
            "name": "Breathe",
            "say": "Breathe.",
            "duration": "20s",
            "sides": True,
            "count": ["In", "out"],
            "count_seconds": ["3s", "2s"],
        },
        intro="Go.",
        defaults={"warning": "0s"},
    )
    timeline = plan(routine, lambda text: 1.0)
    session = Session(timeline)
    session.handle(Command.START, 0.0)
    lead = 1.0 + 1.0 + 0.3  # the intro and the instruction, then the clock
    assert session.next_deadline() == pytest.approx(lead)  # the first "In"
    during = session.view(1.0)
    assert (during.side, during.rep, during.reps, during.step_length) == (
        "left",
        1,
        2,  # two 5 s cycles in a 10 s side
        20 + 2 * lead - 1.0,
    )
    view = session.view(lead + 6.0)  # into the second cycle of the left side
    assert (view.rep, view.step_left) == (2, pytest.approx(timeline.total - lead - 6.0))
    switch = timeline.steps[0].parts[1]
    right = session.view(switch.clock + 0.5)
    assert (right.side, right.rep, right.instruction) == ("right", 1, "Breathe.")
    said = [a.text for a in session.handle(Command.TICK, timeline.total) if isinstance(a, Say)]
    assert said[-1] == "Well done. Test is complete."
