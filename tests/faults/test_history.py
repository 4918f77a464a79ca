"""Fault suite, history: a torn line, a full disk, a kill mid-session and odd lines never
cost a good record or a traceback (failure 3 and the `history` part of 8, issue 10).

A full disk is made real with RLIMIT_FSIZE in a child process: past the limit write()
is cut short, then fails with EFBIG, exactly as on a full SD card (ENOSPC)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from device.cli.main import main
from device.daemon.state import HISTORY_FILE, HISTORY_RETRY, RESUME_FILE, StateStore


def test_a_record_after_a_torn_line_is_kept_whole(tmp_path):
    store = StateStore(tmp_path)
    store.record("demo", 1000.0, 61.0, True)
    with open(tmp_path / HISTORY_FILE, "a") as handle:
        handle.write('{"routine": "cut sh')  # the power went mid-write
    store.record("jawline-and-chin", 2000.0, 12.0, False)
    assert [e.routine for e in store.history()] == ["demo", "jawline-and-chin"]


def in_child(state, body: str) -> dict:
    """Run ``body`` in a child with ``store`` on ``state`` and ``limit(n)`` capping file
    sizes at n bytes; returns what it printed as JSON and its log."""
    code = textwrap.dedent(
        f"""
        import json, logging, resource, signal, sys
        from device.daemon.state import StateStore
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a kill
        logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
        def limit(size):
            resource.setrlimit(resource.RLIMIT_FSIZE, (size, resource.RLIM_INFINITY))
        store = StateStore({str(state)!r}, wall=lambda: 1_700_000_000.0)
        """
    ) + textwrap.dedent(body)
    env = os.environ | {"PYTHONPATH": os.getcwd()}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    return {"out": json.loads(done.stdout or "null"), "log": done.stderr}


def test_a_full_disk_loses_no_record_and_logs_every_failure(tmp_path):
    child = in_child(
        tmp_path,
        """
        store.record("demo", 1000.0, 61.0, True)
        size = (store.folder / "history.jsonl").stat().st_size
        limit(size + 20)  # the next record is cut off after 20 bytes, then none fit
        store.record("jawline-and-chin", 2000.0, 12.0, False)
        store.record("demo", 3000.0, 30.0, True)
        limit(resource.RLIM_INFINITY)  # space is back
        store.record("forehead-smoother", 4000.0, 45.0, True)
        print(json.dumps([e.routine for e in store.history()]))
        """,
    )
    assert child["out"] == ["demo", "jawline-and-chin", "demo", "forehead-smoother"]
    assert child["log"].count("cannot write the history") == 2
    lines = (tmp_path / HISTORY_FILE).read_text().splitlines()
    assert all(json.loads(line) for line in lines)  # no half line was left behind


def test_a_failed_atomic_write_leaves_no_temp_file(tmp_path):
    child = in_child(
        tmp_path,
        """
        from device.daemon.state import Place
        limit(0)
        store.save(Place("demo", "Quick demo", 1, "Jaw", 10.0, 1_700_000_000.0))
        print("null")
        """,
    )
    assert "cannot write" in child["log"]
    assert os.listdir(tmp_path) == []


def test_a_session_cut_short_by_a_kill_is_counted_once_and_after_resuming(tmp_path, build_rig):
    first = build_rig()
    first.press("play")
    first.press("play")
    first.press("next")  # step 3, 20 s in
    first.close()  # killed: nothing recorded
    for _ in range(2):  # two restarts before anyone answers: still counted once
        build_rig().close()
    last = build_rig()
    last.press("play")  # resume at step 3
    last.run_for(120)
    sessions = StateStore(tmp_path / "state").history()
    assert [(s.routine, s.completed, s.partial) for s in sessions] == [
        ("demo", False, True),
        ("demo", True, False),
    ]
    assert 0 < sessions[0].seconds < 1  # PLAY, PLAY, NEXT: under a second before the kill
    assert not (tmp_path / "state" / RESUME_FILE).exists()


def test_a_record_the_disk_refused_is_written_by_the_running_daemon_once_it_can_be(
    tmp_path, rig, caplog
):
    blocked = tmp_path / "state" / HISTORY_FILE
    blocked.mkdir(parents=True)  # a folder where the file goes: every write fails
    rig.press("play")
    rig.hold("play")  # stop: the record cannot be written
    assert rig.loop.tracker.store.log.waiting and "cannot write the history" in caplog.text
    blocked.rmdir()  # room again
    rig.run_for(HISTORY_RETRY + 1)  # idle: nothing else happens that would write it
    assert [(s.routine, s.completed) for s in StateStore(tmp_path / "state").history()] == [
        ("demo", False)
    ]
    assert rig.loop.tracker.retry_at is None  # and the loop no longer wakes for it


def test_history_never_prints_a_traceback_on_an_unexpected_line(machine, capsys):
    state = machine["XDG_STATE_HOME"] / "massage-timer"
    StateStore(state).record("demo", 1_700_000_000.0, 65.0, True)
    odd = ["[1, 2]", '"text"', '{"routine": 5}', '{"routine": "x", "started": 1e300}', "{}"]
    with open(state / HISTORY_FILE, "a") as handle:
        handle.write("\n".join(odd) + "\n")
    StateStore(state).record("jawline-and-chin", 1_700_000_500.0, 30.0, False)
    assert main(["history"]) == 0
    out, err = capsys.readouterr()
    sessions = out.split("\n\n")[0].splitlines()  # then minutes per week
    assert [line.split()[2] for line in sessions] == ["demo", "jawline-and-chin"]
    assert "5 lines skipped" in err and "Traceback" not in err
