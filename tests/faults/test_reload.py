"""Fault suite, reloads: the folder is read off the loop thread, so saves never make cues
late, and each file's problems are logged when they change, not at every reload
(failure 5 of issue 10; the timing itself is bench/bench_reload.py)."""

from __future__ import annotations

import logging
import shutil
import threading

from device.config.paths import BUNDLED_ROUTINES
from device.daemon.inbox import Reload, Reloaded, Request
from tests.daemon_helpers import Rig

BROKEN = 'title = "Broken"\n\n[[step]]\nname = "x"\nduration = "soon"\n'


def held_loads(rig: Rig, monkeypatch) -> tuple[threading.Event, list[str], threading.Event]:
    """Make the library's loads wait for a gate (as 300 files would take long); returns
    the gate, the names of the threads that loaded, and an event set when a load began."""
    gate, readers, began = threading.Event(), [], threading.Event()
    real = rig.loop.library.load

    def load(*args):
        readers.append(threading.current_thread().name)
        began.set()
        gate.wait(5)
        return real(*args)

    monkeypatch.setattr(rig.loop.library, "load", load)
    return gate, readers, began


def deliver_reload(rig: Rig) -> None:
    """Wait (no sleeping) for the reloader's result, then let the loop swap it in."""
    event = rig.loop.queue.get(timeout=10)
    assert isinstance(event, Reloaded)
    rig.loop.post(event)
    rig.step()


def test_a_slow_reload_never_holds_the_loop(rig, monkeypatch):
    """Before: the loop thread read and checked every file itself (40-80 ms with 13 files,
    up to 725 ms with 300), and cues waited for it."""
    gate, readers, _ = held_loads(rig, monkeypatch)
    rig.loop.reloader.start(rig.loop.post)
    try:
        shutil.copy(BUNDLED_ROUTINES / "crows-feet.toml", rig.folder / "crows-feet.toml")
        rig.loop.post(Reload())
        rig.step()  # returns while the load is held
        rig.press("play")  # the loop is live meanwhile: the demo starts
        assert rig.state == "waiting" and "crows-feet" not in rig.loop.controller.routines
        gate.set()
        deliver_reload(rig)
        assert "crows-feet" in rig.loop.controller.routines
        assert readers == ["reloader"]
        assert rig.state == "waiting"  # swapping the folder in disturbed nothing
    finally:
        gate.set()
        rig.loop.reloader.stop()


def test_ctl_reload_is_answered_by_a_load_that_began_after_it(rig, monkeypatch):
    gate, _, began = held_loads(rig, monkeypatch)
    rig.loop.reloader.start(rig.loop.post)
    answers: list[dict] = []
    try:
        rig.loop.post(Reload())  # a save: its load starts and is held
        rig.step()
        assert began.wait(5)
        shutil.copy(BUNDLED_ROUTINES / "crows-feet.toml", rig.folder / "crows-feet.toml")
        rig.loop.post(Request({"cmd": "reload"}, answers.append))
        rig.step()
        gate.set()
        under_way, asked_for = rig.loop.queue.get(timeout=10), rig.loop.queue.get(timeout=10)
        assert (under_way.ticket, asked_for.ticket) == (1, 2)
        rig.loop.post(under_way)  # the load that began before the request: no answer yet
        rig.step()
        assert answers == []
        rig.loop.post(asked_for)
        rig.step()
        assert len(answers) == 1 and "crows-feet" in answers[0]["routines"]
    finally:
        gate.set()
        rig.loop.reloader.stop()


def test_only_files_that_changed_are_logged_again(rig, caplog):
    """Before: every reload logged every broken file's problems again."""
    (rig.folder / "one.toml").write_text(BROKEN)
    (rig.folder / "two.toml").write_text(BROKEN)
    with caplog.at_level(logging.WARNING):
        rig.loop.post(Reload())
        rig.step()
        assert {"one.toml", "two.toml"} <= logged_files(caplog)
        caplog.clear()
        (rig.folder / "demo.toml").write_text((rig.folder / "demo.toml").read_text() + "\n")
        rig.loop.post(Reload())
        rig.step()
        assert logged_files(caplog) == set()
        (rig.folder / "two.toml").write_text(BROKEN.replace("soon", "later"))
        rig.loop.post(Reload())
        rig.step()
        assert logged_files(caplog) == {"two.toml"}


def logged_files(caplog) -> set[str]:
    return {r.getMessage().split(":")[0].rsplit("/", 1)[-1] for r in caplog.records}


def test_a_reload_parses_only_the_files_saved_since_the_last(rig, monkeypatch):
    """Before: each reload parsed and checked every file (300 files: most of a second)."""
    import device.core.catalog

    parsed: list[str] = []
    real = device.core.catalog.load_routine

    def counting(path):
        parsed.append(path.name)
        return real(path)

    monkeypatch.setattr(device.core.catalog, "load_routine", counting)
    library = rig.loop.library
    library.load()
    parsed.clear()
    library.load()
    assert parsed == []
    demo = rig.folder / "demo.toml"
    demo.write_text(demo.read_text().replace('title = "Quick demo"', 'title = "Quicker demo"'))
    (rig.folder / "two.toml").write_text(BROKEN)
    loaded = library.load()
    assert sorted(parsed) == ["demo.toml", "two.toml"]
    assert loaded.routines["demo"].title == "Quicker demo" and "two" in loaded.broken
    parsed.clear()
    assert library.load().broken == {"two"} and parsed == []  # problems are remembered too
