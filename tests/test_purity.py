"""The pure core imports no hardware library, no threads, no clock, no sockets, no processes.

Imports are read with ``ast`` (nothing is executed) and followed through other
``device`` modules, so a pure module cannot reach an impure one indirectly.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DEVICE = Path(__file__).resolve().parent.parent / "device"
PURE = ("routine", "session", "timeline", "view", "controller", "spoken")
FORBIDDEN = {
    "gpiozero",
    "pygame",
    "pyttsx3",
    "threading",
    "_thread",
    "multiprocessing",
    "concurrent",
    "asyncio",
    "time",
    "socket",
    "subprocess",
}


def imports_of(source: str) -> set[str]:
    """Absolute names of everything ``source`` (a module of ``device``) imports."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            # "from .x import y" inside device/ is "device.x"; "from . import x" is "device"
            module = f"device.{node.module}" if node.level and node.module else node.module
            module = module or "device"
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def reachable(module: str) -> dict[str, str]:
    """Every import reachable from ``device.<module>``, mapped to the device module that
    imports it (so a failure names the culprit)."""
    found: dict[str, str] = {}
    todo, seen = [module], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        path = DEVICE / f"{name}.py"
        if not path.exists():
            continue  # "device.routine.Step" and the like: a name, not a module
        for imported in imports_of(path.read_text(encoding="utf-8")):
            found.setdefault(imported, f"device/{name}.py")
            if imported.startswith("device."):
                todo.append(imported.removeprefix("device."))
    return found


def forbidden_in(imports: dict[str, str]) -> list[str]:
    return sorted(
        f"{where} imports {name}"
        for name, where in imports.items()
        if name.split(".")[0] in FORBIDDEN
    )


@pytest.mark.parametrize("module", PURE)
def test_pure_modules_import_nothing_impure(module):
    assert (DEVICE / f"{module}.py").exists()
    assert forbidden_in(reachable(module)) == []


def test_imports_are_followed_transitively():
    imports = reachable("controller")
    for module in ("device.session", "device.timeline", "device.routine", "device.spoken"):
        assert module in imports
    assert imports["tomllib"] == "device/tomlsource.py"  # two hops from the controller


def test_the_check_catches_a_forbidden_import():
    """The purity test can fail: these sources would be caught."""
    for source in (
        "import time",
        "import threading as t",
        "from socket import socket",
        "from gpiozero.pins.mock import MockFactory",
        "def f():\n    import subprocess\n",
        "import os, pygame.mixer",
        "from pyttsx3 import init",
    ):
        found = {name: "x.py" for name in imports_of(source)}
        assert forbidden_in(found), source
    assert forbidden_in({name: "x.py" for name in imports_of("import datetime")}) == []
    assert imports_of("from .clock import FakeClock") == {"device.clock", "device.clock.FakeClock"}
