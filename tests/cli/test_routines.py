"""The hardware-free commands (check, list, show) through ``device.cli.main.main``, and the
terminal output they and ``demo`` print with."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from device.cli.main import main
from device.core.catalog import load_catalog
from device.core.durations import format_clock
from device.core.session import Command, Say, Session, Sound, State, StateChanged, StepStarted
from device.core.timeline import estimated_length, plan
from device.core.view import IdleView
from device.display.terminal import TerminalOutput, describe, status_line
from tests.core_helpers import BAD, ROUTINES, routine_of, write

GOOD = 'title = "Hold"\n\n[[step]]\nname = "Hold"\nsay = "Hold."\nduration = "20s"\n'


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- check ----------------------------------------------------------------------


def _corpus() -> list[Path]:
    return sorted(BAD.rglob("*.expected"))


@pytest.mark.parametrize("expected", _corpus(), ids=lambda p: str(p.relative_to(BAD)))
def test_bad_file_corpus(expected, capsys, monkeypatch):
    """Each ``NAME.expected`` holds the exact lines ``check NAME.toml`` (or ``NAME/``) prints.

    A folder case passes the folder itself, or the paths listed in its ``args`` file.
    """
    monkeypatch.chdir(BAD)
    target = expected.with_suffix(".toml")
    if not target.exists():
        target = expected.with_suffix("")
    relative = target.relative_to(BAD)
    args = [str(relative)]
    if (target / "args").is_file():
        args = [str(relative / line) for line in (target / "args").read_text().split()]
    code, out, err = run(capsys, "check", *args)
    want = expected.read_text(encoding="utf-8")
    assert out == want
    assert code == 1
    count = len(want.splitlines())
    assert err.strip().endswith(f"{count} problem{'s' * (count != 1)}")


def test_corpus_covers_the_required_cases():
    names = {str(p.relative_to(BAD).with_suffix("")) for p in _corpus()}
    assert len(names) >= 20
    for line in (BAD / "unknown-key.expected").read_text().splitlines():
        assert "did you mean" in line


def test_enormous_file_is_refused_before_parsing(tmp_path, capsys):
    # valid TOML all the way through, so only the size limit can reject it
    padding = "".join(f"# {'padding ' * 10}{n}\n" for n in range(800))
    path = write(tmp_path, "enormous.toml", GOOD + padding)
    assert path.stat().st_size > 64 * 1024
    code, out, _ = run(capsys, "check", str(path))
    assert (code, out) == (1, f"{path}:1: file is larger than 64 KiB, the limit\n")
    small = write(tmp_path, "small.toml", GOOD + padding[: 60 * 1024])
    assert run(capsys, "check", str(small))[0] == 0


def test_check_bundled_routines_exit_zero(capsys):
    code, out, err = run(capsys, "check", str(ROUTINES))
    assert code == 0
    assert all(" will not be heard: " in line for line in out.splitlines())
    count = len(list(ROUTINES.glob("*.toml")))
    assert f"checked {count} routines" in err


def test_check_without_paths_uses_the_routines_option(tmp_path, capsys):
    write(tmp_path / "r", "good.toml", GOOD)
    assert run(capsys, "--routines", str(tmp_path / "r"), "check")[0] == 0
    write(tmp_path / "r", "bad.toml", GOOD.replace('"20s"', '"20x"'))
    code, out, _ = run(capsys, "--routines", str(tmp_path / "r"), "check")
    assert code == 1
    assert out.splitlines() == [
        f'{tmp_path}/r/bad.toml:6: step 1 ("Hold").duration: '
        'must be a duration like "45s", "1m30s" or 90, not "20x"'
    ]


def test_check_reports_a_missing_path_once(tmp_path, capsys):
    code, out, _ = run(capsys, "check", str(tmp_path / "nope.toml"))
    assert (code, out) == (1, f"{tmp_path}/nope.toml:1: no such file or folder\n")


def test_check_validates_a_config_file_given_as_a_path(tmp_path, capsys):
    config = write(tmp_path, "config.toml", "[voice]\nrate = 1000\n")
    code, out, _ = run(capsys, "check", str(config))
    assert code == 1
    assert out == f"{config}:2: voice.rate: must be 80 to 300, not 1000\n"


def test_check_problem_lines_have_path_line_where_message(capsys, monkeypatch):
    monkeypatch.chdir(BAD)
    _, out, _ = run(capsys, "check", "bad-durations.toml")
    path, line, where, message = out.splitlines()[0].split(":", 3)
    assert (path, line, where) == ("bad-durations.toml", "6", ' step 1 ("Too long").duration')
    assert message.startswith(" must be 1s to 30m")


# -- list and show ----------------------------------------------------------------


def test_list_prints_every_routine_and_program(capsys):
    code, out, _ = run(capsys, "--routines", str(ROUTINES), "list")
    assert code == 0
    lines = out.splitlines()
    names = sorted(p.stem for p in ROUTINES.glob("*.toml"))
    programs = sorted(p.stem for p in (ROUTINES / "programs").glob("*.toml"))
    assert [line.split()[0] for line in lines] == names + programs
    demo = next(line for line in lines if line.startswith("demo "))
    routine = load_catalog([ROUTINES]).routines["demo"]
    with_instructions = format_clock(plan(routine, estimated_length()).total)  # no cache here
    assert demo.split()[1] == with_instructions != "1:00" and demo.endswith("Quick demo")
    steps = routine.steps
    assert f"  {len(steps)} steps (1 untimed)  " in demo


def test_list_of_a_folder_with_only_broken_files_fails(tmp_path, capsys):
    write(tmp_path, "broken.toml", "title = ")
    code, out, err = run(capsys, "--routines", str(tmp_path), "list")
    assert (code, out) == (1, "")
    assert "broken.toml:1: TOML syntax error" in err


@pytest.mark.parametrize("name", sorted(p.stem for p in ROUTINES.glob("*.toml")))
def test_show_prints_every_bundled_routine(name, capsys):
    code, out, _ = run(capsys, "--routines", str(ROUTINES), "show", name)
    routine = load_catalog([ROUTINES]).routines[name]
    lines = out.splitlines()
    assert code == 0
    assert lines[0].startswith(f"{routine.title} ({name}) · ")
    step_lines = [line for line in lines if line.startswith("step ")]
    assert len(step_lines) == len(routine.steps)
    assert all(f": {s.name} (" in line for s, line in zip(routine.steps, step_lines, strict=True))
    finish = plan(routine).finish[-1].content
    assert any(line.endswith(f"  finish       {finish}") for line in lines[-2:])


def test_show_prints_each_phrase_with_its_start_and_end_and_marks_what_is_lost(tmp_path, capsys):
    write(tmp_path, "lift.toml", LONG_INSTRUCTION)
    _, out, _ = run(capsys, "--routines", str(tmp_path), "show", "lift")
    lines = out.splitlines()
    assert lines[0] == f"Lift (lift) · 0:16 · {tmp_path}/lift.toml"
    assert lines[1].startswith("  0:00.0-0:0") and "intro        Lift." in lines[1]
    assert "step 1: Lift (16s · 4 reps · whole_face, still)" in lines
    said = [line.split()[1:] for line in lines if " count " in line]
    assert said[0][:2] == ["count", "two"] and "<<" in said[0]
    assert " ".join(said[0]).endswith("ticked: the instruction plays until 0:07")
    assert said[1][:2] == ["count", "three"] and "<<" not in said[1]
    assert lines[-1] == "1 cues will not be heard as written (marked <<)"


LONG_INSTRUCTION = """title = "Lift"
intro = "Lift."

[[step]]
name = "Lift"
say = "Smile with your lips closed. Rest your fingertips on your cheekbones. Lift your cheeks."
duration = "16s"
reps = 4
warning = "0s"
countdown = 0
clock_after_say = false
"""


def test_check_warns_about_each_cue_that_will_not_be_heard(tmp_path, capsys):
    path = write(tmp_path, "lift.toml", LONG_INSTRUCTION)
    code, out, err = run(capsys, "check", str(path))
    assert code == 0
    assert out.splitlines() == [
        f"{path}:4: step 1 (\"Lift\"): count 'two' at 0:04 will not be heard: "
        "the instruction plays until 0:07"
    ]
    assert "1 warning" in err
    assert run(capsys, "check", "--strict", str(path))[0] == 1


def test_show_unknown_routine_is_an_error(capsys):
    code, out, err = run(capsys, "--routines", str(ROUTINES), "show", "nope")
    assert (code, out) == (1, "")
    assert err.startswith("massage-timer: error: no routine named 'nope'; known routines: ")
    assert "demo" in err and "Traceback" not in err


def test_debug_shows_the_traceback(capsys):
    from device.exc import UnknownRoutineError

    with pytest.raises(UnknownRoutineError):
        main(["--debug", "--routines", str(ROUTINES), "show", "nope"])


def test_a_broken_config_is_reported_but_list_still_works(tmp_path, capsys, caplog):
    config = write(tmp_path, "c.toml", "[voice]\nrat = 100\n")
    code, out, _ = run(capsys, "--config", str(config), "list")
    assert code == 0 and "demo" in out
    assert f"{config}:2: voice.rat: unknown key; did you mean 'rate'?" in caplog.text


# -- terminal output ------------------------------------------------------------------


def test_describe_stamps_actions_from_the_start():
    assert describe(Say("Hello.", 4, 12.0), 10.0) == "0:02  says   “Hello.”"
    assert describe(Sound("beep", 3, 10.0), 10.0) == "0:00  sound  beep"
    assert describe(StepStarted(1, "Cheeks", 75.0), 10.0) == "1:05  step   2: Cheeks"
    assert describe(StateChanged(State.PAUSED, 5.0), 10.0) == "0:00  state  paused"


def test_status_line_for_a_running_step_and_idle():
    routine = routine_of(
        {"name": "Cheeks", "say": "Sweep.", "duration": "20s", "sides": True, "reps": 4},
        {"name": "Jaw", "say": "Press.", "duration": "20s"},
    )
    session = Session.of(routine)
    session.handle(Command.START, 0.0)
    session.handle(Command.TICK, 13.0)
    line = status_line(session.view(13.0))
    bar = "[" + "#" * 8 + "-" * 16 + "]"  # 13 s of 40: 32 %, 8 of 24 marks
    assert line == f"{bar}  32%  1/2 Cheeks · Right · 2 of 4 · 0:07 left · routine 0:27"
    idle = IdleView(awake=True, routine_title="Demo", program="Week 2 · daily · today: demo")
    assert status_line(idle) == "idle · Demo · Week 2 · daily · today: demo"


def test_terminal_output_prints_one_line_per_action():
    stream = io.StringIO()
    output = TerminalOutput(stream)
    output.perform([StepStarted(0, "Oil", 100.0), Say("Apply oil.", 4, 100.0)], 100.0)
    output.perform([Sound("beep", 3, 161.0)], 161.0)
    assert stream.getvalue().splitlines() == [
        "0:00  step   1: Oil",
        "0:00  says   “Apply oil.”",
        "1:01  sound  beep",
    ]
    assert output.show(IdleView(awake=False), 0.0) is None  # not a tty: no live line
    output.perform([StateChanged(State.DONE, 170.0), StepStarted(0, "Next one", 500.0)], 500.0)
    assert stream.getvalue().splitlines()[-2:] == ["1:10  state  done", "0:00  step   1: Next one"]


def test_check_says_how_to_install_espeak_when_it_is_missing(capsys, monkeypatch):
    import device.cli.routines

    monkeypatch.setattr(device.cli.routines, "espeak_problem", lambda: "espeak-ng is missing; fix")
    code, _, err = run(capsys, "check", str(ROUTINES))
    assert code == 0  # routines are fine; without espeak-ng they run on chimes
    assert "note: espeak-ng is missing; fix" in err


def test_check_is_quiet_about_espeak_when_it_works(capsys):
    code, _, err = run(capsys, "check", str(ROUTINES))
    assert code == 0 and "espeak" not in err


def test_terminal_output_into_a_pipe_logs_progress_once_per_step_side_and_state():
    stream = io.StringIO()  # not a TTY: no live line, but a progress line per moment
    terminal = TerminalOutput(stream)
    timeline = plan(load_catalog([ROUTINES]).routines["demo"])
    session = Session(timeline)
    session.handle(Command.START, 0.0)
    session.handle(Command.PLAY, 2.0)
    for now in (2.0, 3.0, 7.0, 12.0, 13.0):
        session.handle(Command.TICK, now)
        terminal.show(session.view(now), now)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2  # left side, then right side of the same step
    assert "2/4 Cheek sweeps · Left" in lines[0] and "0:20 left" in lines[0]
    assert "2/4 Cheek sweeps · Right" in lines[1]
    assert lines[0].startswith("[") and "%" in lines[0]


def test_terminal_stamps_the_finish_from_the_routine_start():
    stream = io.StringIO()
    terminal = TerminalOutput(stream)
    session = Session(plan(load_catalog([ROUTINES]).routines["demo"]))
    terminal.perform(session.handle(Command.START, 100.0), 100.0)
    terminal.perform(session.handle(Command.PLAY, 103.0), 103.0)
    terminal.perform(session.handle(Command.TICK, 200.0), 200.0)  # long after the end
    finish = [line for line in stream.getvalue().splitlines() if "bell" in line]
    assert finish == ["1:03  sound  bell"]  # 3 s of oil + 60 s of steps


def test_a_config_typo_is_logged_but_commands_still_run(tmp_path, capsys, caplog):
    config = tmp_path / "config.toml"
    config.write_text('[voice]\nrate = "fast"\n')
    assert main(["--config", str(config), "list"]) == 0  # the appliance keeps working
    assert "voice.rate: must be a whole number" in caplog.text
    assert "using the default instead" in caplog.text
    assert main(["--config", str(config), "check", str(config)]) == 1  # check stays strict


@pytest.mark.parametrize(
    "argv",
    [
        ["--routines", "ROUTINES", "show", "demo"],
        ["show", "demo", "--routines", "ROUTINES"],
        ["--routines", "/nowhere", "show", "demo", "--routines", "ROUTINES"],  # after wins
    ],
)
def test_common_options_work_before_or_after_the_command(argv, capsys):
    argv = [str(ROUTINES) if a == "ROUTINES" else a for a in argv]
    code, out, _ = run(capsys, *argv)
    assert code == 0 and out.startswith("Quick demo (demo)")
