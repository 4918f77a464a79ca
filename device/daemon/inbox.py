"""What reaches the loop's queue, from any thread: one small frozen type per kind.

Producers (gpiozero callbacks, the file watcher, the control socket's threads,
signal handlers) build one of these and ``Loop.post`` it; the loop thread alone
acts on it (``Loop._handle`` matches on the type).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from device.daemon.library import Loaded


@dataclass(frozen=True)
class Edge:
    """A button went down or up, ``at`` seconds on the loop's clock."""

    button: str
    pressed: bool
    at: float


@dataclass(frozen=True)
class Motion:
    """The PIR sensor saw someone (``active``) or stopped seeing them."""

    active: bool
    at: float


@dataclass(frozen=True)
class Reload:
    """The routines folder changed: read it again."""


@dataclass(frozen=True)
class Reloaded:
    """The folder as the reloader's thread read it, for every request up to ``ticket``."""

    loaded: Loaded
    ticket: int


@dataclass(frozen=True)
class Request:
    """A control-socket request (already checked) and where its answer goes."""

    request: dict
    reply: Callable[[dict], None]


@dataclass(frozen=True)
class Call:
    """Run ``action(now)`` on the loop thread."""

    action: Callable[[float], None]


@dataclass(frozen=True)
class Stop:
    """End the loop (a signal, the window closed, the demo finished)."""

    why: str = ""


Event = Edge | Motion | Reload | Reloaded | Request | Call | Stop
