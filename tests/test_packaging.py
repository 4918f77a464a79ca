"""A wheel carries the bundled routines, so `pip install .` (not editable) works with no
checkout beside it. Built offline, with the virtualenv's own setuptools."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "device", "routines")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from a copy of the checkout (so the checkout gets no build/)."""
    source = tmp_path_factory.mktemp("source")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
            shutil.copytree(ROOT / name, source / name, ignore=ignore)
        else:
            shutil.copy(ROOT / name, source / name)
    dist = tmp_path_factory.mktemp("dist")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    command += ["--no-index", "--no-cache-dir", "--quiet", "-w", str(dist), str(source)]
    built = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    (found,) = dist.glob("massage_timer-*.whl")
    return found


def bundled_files() -> set[str]:
    files = {"README.md", *(p.name for p in (ROOT / "routines").glob("*.toml"))}
    return files | {f"programs/{p.name}" for p in (ROOT / "routines" / "programs").glob("*.toml")}


def test_the_wheel_carries_every_bundled_routine(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    inside = {name.removeprefix("device/routines/") for name in names}
    assert {name for name in names if name.startswith("device/routines/")} != set()
    assert bundled_files() <= inside
    assert not any(name.startswith("routines/") for name in names)  # no top-level package


def test_an_installed_wheel_lists_and_checks_its_routines_without_the_checkout(wheel, tmp_path):
    site = tmp_path / "site-packages"
    zipfile.ZipFile(wheel).extractall(site)
    env = os.environ | {"PYTHONPATH": str(site)}  # ahead of the editable install's finder

    def run(*argv: str) -> str:
        done = subprocess.run(
            [sys.executable, *argv], cwd=tmp_path, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    where = run("-c", "import device.config.paths as p; print(p.__file__, p.BUNDLED_ROUTINES)")
    assert where.split() == [
        str(site / "device" / "config" / "paths.py"),
        str(site / "device" / "routines"),
    ]
    listed = run("-m", "device", "list").splitlines()
    routines = sorted(p.stem for p in (ROOT / "routines").glob("*.toml"))
    assert [line.split()[0] for line in listed if "program" not in line] == routines
    assert any(line.startswith("face-yoga-20-weeks") for line in listed)
    run("-m", "device", "check")  # every bundled file, as installed, is valid
