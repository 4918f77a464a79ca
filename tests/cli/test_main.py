"""The entry point's own options."""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

import pytest

import device
from device.cli.main import main

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_the_version_has_one_source(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"massage-timer {device.__version__}\n"
    project = tomllib.loads(PYPROJECT.read_text())
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert metadata.version("massage-timer") == device.__version__  # what pip installed
