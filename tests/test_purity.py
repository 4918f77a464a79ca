"""The pure core imports no hardware library, no threads, no clock, no sockets, no processes,
each folder of the package imports only the layers below it (docs/architecture.md), and
there are no import cycles.

Imports are read with ``ast`` (nothing is executed) and followed through other
``device`` modules, so a pure module cannot reach an impure one indirectly.
Every module in ``device/core/`` is checked: there is no list to keep.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

DEVICE = Path(__file__).resolve().parent.parent / "device"
PURE = sorted(path.stem for path in (DEVICE / "core").glob("*.py") if path.stem != "__init__")
# What the core may import from the rest of the package: only itself and the exceptions.
CORE_MAY_IMPORT = ("device.core", "device.exc")
# What each folder (or shared module) of ``device`` may import from the package: the
# layers of docs/architecture.md. audio and display never import each other; nothing
# but cli imports daemon, and nothing imports cli.
SHARED = {"exc", "clock", "once", "atomic"}
MAY_IMPORT = {
    "core": {"core", "exc"},
    "config": {"config", "core", "exc"},
    "audio": {"audio", "config", "core", *SHARED},
    "display": {"display", "config", "core", *SHARED},
    "daemon": {"daemon", "audio", "display", "config", "core", *SHARED},
    "cli": {"cli", "daemon", "audio", "display", "config", "core", *SHARED},
    **{name: {name} for name in SHARED},
}
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
            if node.level:
                raise AssertionError("device/ uses absolute imports only")
            module = node.module or "device"
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def source_of(module: str) -> Path | None:
    """The file of ``device.a.b`` (``device/a/b.py`` or ``device/a/b/__init__.py``), or None
    for a name inside a module such as ``device.core.routine.Step``."""
    parts = module.split(".")[1:]
    candidates = (
        DEVICE.joinpath(*parts).with_suffix(".py"),
        DEVICE.joinpath(*parts, "__init__.py"),
    )
    return next((path for path in candidates if parts and path.exists()), None)


def direct_imports(module: str) -> set[str]:
    """The ``device`` modules that ``module`` itself imports."""
    path = source_of(module)
    names = imports_of(path.read_text(encoding="utf-8")) if path else set()
    return {name for name in names if name.startswith("device.") and source_of(name)}


def reachable(module: str) -> dict[str, str]:
    """Every import reachable from ``device.<module>``, mapped to the device file that
    imports it (so a failure names the culprit)."""
    found: dict[str, str] = {}
    todo, seen = [f"device.{module}"], set()
    while todo:
        name = todo.pop()
        path = source_of(name)
        if name in seen or path is None:
            continue
        seen.add(name)
        for imported in imports_of(path.read_text(encoding="utf-8")):
            found.setdefault(imported, str(path.relative_to(DEVICE.parent)))
            if imported.startswith("device."):
                todo.append(imported)
    return found


def forbidden_in(imports: dict[str, str]) -> list[str]:
    return sorted(
        f"{where} imports {name}"
        for name, where in imports.items()
        if name.split(".")[0] in FORBIDDEN
    )


def all_modules() -> list[str]:
    return sorted(
        ".".join(("device", *path.relative_to(DEVICE).with_suffix("").parts)).removesuffix(
            ".__init__"
        )
        for path in DEVICE.rglob("*.py")
    )


def test_every_core_module_is_checked():
    assert {"routine", "session", "timeline", "controller", "view"} <= set(PURE)


@pytest.mark.parametrize("module", PURE)
def test_core_modules_import_nothing_impure(module):
    assert forbidden_in(reachable(f"core.{module}")) == []


@pytest.mark.parametrize("module", PURE)
def test_core_imports_only_the_core(module):
    imported = direct_imports(f"device.core.{module}")
    assert sorted(name for name in imported if not name.startswith(CORE_MAY_IMPORT)) == []


def test_imports_are_followed_transitively():
    imports = reachable("core.controller")
    for module in ("device.core.session", "device.core.timeline", "device.core.routine"):
        assert module in imports
    assert imports["tomllib"] == "device/core/tomlsource.py"  # two hops from the controller


def layer_breaches() -> list[str]:
    """Every import of a ``device`` module from a layer its folder may not use."""
    breaches = []
    for module in all_modules():
        layer = module.split(".")[1] if "." in module else ""
        allowed = MAY_IMPORT.get(layer)  # None: device/__init__ and __main__, the top
        for imported in sorted(direct_imports(module)):
            if allowed is not None and imported.split(".")[1] not in allowed:
                breaches.append(f"{module} imports {imported}")
    return breaches


def test_every_folder_has_its_layer():
    folders = {path.parent.name for path in DEVICE.glob("*/__init__.py")}
    modules = {path.stem for path in DEVICE.glob("*.py")} - {"__init__", "__main__"}
    assert folders | modules == set(MAY_IMPORT)


def test_each_folder_imports_only_the_layers_below_it():
    assert layer_breaches() == []


def test_the_layer_check_can_fail(monkeypatch):
    fake = {"device.display.screen": {"device.daemon.loop"}, "device.daemon.loop": set()}
    monkeypatch.setattr(sys.modules[__name__], "all_modules", lambda: list(fake))
    monkeypatch.setattr(sys.modules[__name__], "direct_imports", lambda module: fake[module])
    assert layer_breaches() == ["device.display.screen imports device.daemon.loop"]


def cycles() -> list[list[str]]:
    """Every import cycle among ``device`` modules (a depth-first search of the graph)."""
    graph = {module: direct_imports(module) for module in all_modules()}
    found: list[list[str]] = []
    done: set[str] = set()
    path: list[str] = []

    def visit(module: str) -> None:
        if module in path:
            found.append([*path[path.index(module) :], module])
        elif module not in done:
            path.append(module)
            for imported in sorted(graph.get(module, ())):
                visit(imported)
            path.pop()
            done.add(module)

    for module in graph:
        visit(module)
    return found


def test_no_import_cycles():
    assert cycles() == []


def test_the_cycle_check_can_fail(monkeypatch):
    fake = {"device.a": {"device.b"}, "device.b": {"device.a"}}
    monkeypatch.setattr(sys.modules[__name__], "all_modules", lambda: list(fake))
    monkeypatch.setattr(sys.modules[__name__], "direct_imports", lambda module: fake[module])
    assert cycles() == [["device.a", "device.b", "device.a"]]


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
    with pytest.raises(AssertionError, match="absolute imports"):
        imports_of("from .clock import FakeClock")
