"""Suite-wide setup: no test touches the machine's files, pins, window or sound card.

Every test runs with HOME, the XDG folders and the system service's folders
(/etc/massage-timer, /run/massage-timer) moved into a tmp folder of its own, through the
environment, so a daemon a test starts as a subprocess inherits them too.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from gpiozero import Device
from gpiozero.pins.mock import MockFactory, MockPWMPin

from tests.daemon_helpers import Rig, machine_folders, make_rig

# The HOME the suite was started with: the tests prove they never use it.
REAL_HOME = os.environ.get("HOME", "")

# Real pygame with SDL's dummy video and disk audio drivers: nothing shows or
# sounds, yet every drawing and mixing call runs for real.
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "disk")
# One folder per test run, so two runs at once (two clones, CI beside a developer)
# never write the same recording; never sdlaudio.raw in the repo.
_RUN_FOLDER = tempfile.mkdtemp(prefix="massage-timer-test-")
atexit.register(shutil.rmtree, _RUN_FOLDER, True)
_RECORDING = os.path.join(_RUN_FOLDER, "audio.raw")
os.environ.setdefault("SDL_DISKAUDIOFILE", _RECORDING)
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
os.environ.pop("DISPLAY", None)
os.environ.pop("WAYLAND_DISPLAY", None)
# A device a test opens without the mock_factory fixture gets mock pins, not a Pi's.
os.environ["GPIOZERO_PIN_FACTORY"] = "mock"
# Set by systemd when the suite runs inside a unit: a test daemon must not answer it.
for _variable in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "RUNTIME_DIRECTORY"):
    os.environ.pop(_variable, None)


# Collection and session fixtures never see the real folders either.
os.environ.update({name: str(path) for name, path in machine_folders(Path(_RUN_FOLDER)).items()})


@pytest.fixture(autouse=True)
def machine(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, Path]]:
    """This test's own HOME, XDG folders, /etc/massage-timer and /run/massage-timer.

    A folder beside tmp_path, not in it: tests may expect their tmp_path empty."""
    folders = machine_folders(tmp_path_factory.mktemp("home"))
    folders["XDG_RUNTIME_DIR"].mkdir(mode=0o700)
    for name, path in folders.items():
        monkeypatch.setenv(name, str(path))
    yield folders
    assert os.environ["HOME"] == str(folders["HOME"]), "a test replaced the isolated HOME"


@pytest.fixture
def mock_factory() -> Iterator[MockFactory]:
    """gpiozero's MockFactory for one test, swapped back in ``finally`` (as gpiozero's tests)."""
    saved = Device.pin_factory
    Device.pin_factory = MockFactory(pin_class=MockPWMPin)
    try:
        yield Device.pin_factory
    finally:
        Device.pin_factory.reset()
        Device.pin_factory = saved


@pytest.fixture
def build_rig(mock_factory: MockFactory, tmp_path: Path) -> Iterator[Callable[..., Rig]]:
    """Builds rigs (tests.daemon_helpers.make_rig) on the mock pins; closes each in ``finally``."""
    built: list[Rig] = []

    def build(**options) -> Rig:
        rig = make_rig(mock_factory, tmp_path, **options)
        built.append(rig)
        return rig

    try:
        yield build
    finally:
        for rig in reversed(built):
            rig.close()


@pytest.fixture
def rig(build_rig: Callable[..., Rig]) -> Rig:
    """The daemon's loop on mock pins and a FakeClock, with the default config."""
    return build_rig()


@pytest.fixture(scope="session")
def bundled_speech(tmp_path_factory: pytest.TempPathFactory):
    """Every phrase of the bundled routines rendered with the real espeak-ng (through
    pyttsx3) into a temporary cache, once per test run; returns the config that uses it."""
    from device.audio.layers import configured_speech
    from device.audio.render import render_settled
    from device.core.catalog import load_catalog
    from device.core.timeline import library_phrases
    from tests.audio_helpers import audio_config
    from tests.core_helpers import ROUTINES

    config = audio_config(tmp_path_factory.mktemp("bundled-speech"))
    routines = load_catalog([ROUTINES]).routines.values()
    _, report = render_settled(
        configured_speech(config).first, lambda length: library_phrases(routines, length)
    )
    assert not report.failed, report.failed
    return config
