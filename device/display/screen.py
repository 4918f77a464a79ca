"""The mirror display: an Output that draws view models with pygame.

Draws only when something visible changed: the whole screen when the step,
state or side changes, just the clock, counter, time left and bar once a
second while a step runs, and nothing at all while idle and dark. A missing
display is logged once and the screen becomes a no-op. ``last_frame`` keeps
the upright image last drawn (like luma.core's dummy device) for tests and
``massage-timer screenshot``.

Keys (when the window has focus): space, Enter or p = PLAY; n or → = NEXT;
r = REPEAT; hold a key for the configured hold time, or press it with Shift,
for the hold gesture (stop, previous step, where am I). ``poll_keys`` returns
them as "play", "next", "repeat" and "play:hold", "next:hold", "repeat:hold";
closing the window gives "quit".

Video drivers: under a desktop SDL uses the desktop's own (x11/wayland); on a
console with neither DISPLAY nor WAYLAND_DISPLAY (Raspberry Pi OS Lite) it is
kmsdrm; SDL_VIDEODRIVER, when set, always wins. SPI panels that appear as
/dev/fbN need no SDL at all: ``display.framebuffer`` copies each frame there.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import time
from collections.abc import Mapping, Sequence

import pygame

from device.config.schema import Config
from device.core.durations import format_clock
from device.core.outputs import Output
from device.core.routine import Routine
from device.core.session import Action, Sound
from device.core.view import IdleView, RoutineView
from device.display.framebuffer import Framebuffer
from device.display.idle import draw_idle
from device.display.painter import MOVING, Painter, counter_text
from device.display.panel import FramebufferBlank, PanelPower, find_panel
from device.display.text import Fonts

log = logging.getLogger(__name__)
View = RoutineView | IdleView
DEFAULT_SIZE = (800, 480)
TICK_MARK = 0.3  # seconds a tempo mark stays lit
VIRTUAL_DRIVERS = ("dummy", "offscreen")  # no panel behind them: never switch the real one
CONSOLE_FRAMEBUFFER = "/dev/fb0"  # where a bare console's frames go when SDL cannot
KEYS = {
    pygame.K_SPACE: "play",
    pygame.K_RETURN: "play",
    pygame.K_KP_ENTER: "play",
    pygame.K_p: "play",
    pygame.K_n: "next",
    pygame.K_RIGHT: "next",
    pygame.K_r: "repeat",
}


def render(
    view: View, size: tuple[int, int], mirror: bool = True, fonts: Fonts | None = None
) -> pygame.Surface:
    """One upright frame of ``view`` at ``size``, drawn off-screen (no display needed)."""
    fonts = fonts or Fonts()
    canvas = pygame.Surface(size)
    if isinstance(view, IdleView):
        draw_idle(canvas, view, fonts)
    else:
        Painter(size, fonts, mirror).draw(canvas, view)
    return canvas


def logical_size(size: tuple[int, int], rotation: int) -> tuple[int, int]:
    """The upright drawing size of a panel of ``size`` turned ``rotation`` degrees."""
    return (size[1], size[0]) if rotation in (90, 270) else size


def panel_rect(rect: pygame.Rect, size: tuple[int, int], rotation: int) -> pygame.Rect:
    """Where an upright ``rect`` (of a drawing of ``size``) lands after turning it clockwise."""
    width, height = size
    if rotation == 90:
        return pygame.Rect(height - rect.bottom, rect.x, rect.height, rect.width)
    if rotation == 180:
        return pygame.Rect(width - rect.right, height - rect.bottom, rect.width, rect.height)
    if rotation == 270:
        return pygame.Rect(rect.y, width - rect.right, rect.height, rect.width)
    return rect.copy()


class Screen(Output):
    """``Screen(config, headless=False)``: the display as the daemon's Output."""

    role = "display"
    reads_keys = True  # a desktop window's keys work as the buttons

    def __init__(self, config: Config, headless: bool = False, fonts: Fonts | None = None) -> None:
        display = config.display
        self.enabled = display.enabled and not headless
        self.rotation = int(display.rotation)
        self.mirror = display.mirror_face
        self.requested = (display.width, display.height)
        self.framebuffer_path = display.framebuffer
        self.panel_choice = display.panel_power
        self.panel: PanelPower | None = None
        self.panel_off: bool | None = None  # None: not switched yet (it may be either)
        self.hold = config.buttons.hold
        self.fonts = fonts
        self.window: pygame.Surface | None = None
        self.sink: Framebuffer | None = None
        self.canvas: pygame.Surface | None = None
        self.last_frame: pygame.Surface | None = None
        self.painter: Painter | None = None
        self.frames = 0  # full or partial redraws done, for tests and the benchmark
        self._static: object = None
        self._moving: object = None
        self._tick_at = float("-inf")
        self._down: dict[int, float] = {}

    # -- Output -----------------------------------------------------------------

    def start(self) -> None:
        if not self.enabled:
            return
        try:
            size = self._open()
        except (pygame.error, OSError) as error:
            log.warning("no display (%s); carrying on without the screen", error)
            self.enabled = False
            return
        self.fonts = self.fonts or Fonts()
        self.canvas = pygame.Surface(logical_size(size, self.rotation))
        self.painter = Painter(self.canvas.get_size(), self.fonts, self.mirror)
        self.last_frame = self.canvas
        log.info("display %dx%d, rotation %d, font %s", *size, self.rotation, self.fonts.name)
        self.panel = self._find_panel()
        log.info("panel power: %s", self.panel.name if self.panel else "none (dark is drawn black)")

    def prepare(
        self, routines: Mapping[str, Routine], phrases: frozenset[str] = frozenset()
    ) -> None:
        """Nothing to prepare: fonts are fitted on the first frame of each step."""

    def perform(self, actions: Sequence[Action], now: float) -> None:
        """Flash the tempo mark on a tick (the next ``show`` clears it)."""
        if any(isinstance(a, Sound) and a.name == "tick" for a in actions):
            self._tick_at = now

    def show(self, view: View, now: float) -> float | None:
        if not self.enabled or self.canvas is None or self.painter is None:
            return None
        static, moving = self._keys(view, now)
        dark = isinstance(view, IdleView) and not view.awake
        if not dark:
            self._power(on=True)  # first: the panel wakes while the frame is drawn
        try:
            self._draw(view, now, static, moving)
        except (pygame.error, OSError) as error:  # a display unplugged or a panel gone
            log.warning("display failed (%s); carrying on without the screen", error)
            self.enabled = False
            return None
        if dark:
            self._power(on=False)  # after: black is on the glass should switching fail
        self._static, self._moving = static, moving
        return self._next_redraw(view, now)

    def _draw(self, view: View, now: float, static: object, moving: object) -> None:
        assert self.canvas is not None and self.painter is not None
        assert self.fonts is not None  # start() made them all
        if static != self._static:
            if isinstance(view, RoutineView):
                self.painter.draw(self.canvas, view)
                self._mark(view, now)
            else:
                draw_idle(self.canvas, view, self.fonts)
            self._present(None)
        elif moving != self._moving:
            assert isinstance(view, RoutineView)
            self.painter.draw_moving(self.canvas, view)
            self._mark(view, now)
            self._present([self.painter.box[name] for name in (*MOVING, "tempo")])

    def _find_panel(self) -> PanelPower | None:
        if self.sink is not None and self.panel_choice in ("auto", "framebuffer"):
            return FramebufferBlank.find(self.sink.fd, self.sink.path)
        if self.sink is None and pygame.display.get_driver() in VIRTUAL_DRIVERS:
            return None
        return None if self.panel_choice == "framebuffer" else find_panel(self.panel_choice)

    def _power(self, on: bool) -> None:
        """Switch the panel (once per change); a control that fails is dropped, said once."""
        if self.panel is None or self.panel_off is (not on):
            return
        try:
            self.panel.on() if on else self.panel.off()
        except (OSError, subprocess.SubprocessError) as error:
            log.warning(
                "panel power (%s) failed: %s; the dark screen is drawn black",
                self.panel.name,
                error,
            )
            self.panel = None
            return
        self.panel_off = not on

    def stop(self) -> None:
        if self.window is not None or self.sink is not None:
            if self.canvas is not None:
                self.canvas.fill((0, 0, 0))
                with contextlib.suppress(pygame.error, OSError):  # gone already: nothing to clear
                    self._present(None)  # leave a mirror, not a frozen frame
            if self.sink is not None:
                self.sink.close()
            pygame.display.quit()
        self.window = self.sink = None
        self.enabled = False

    # -- keys -------------------------------------------------------------------

    def poll_keys(self, now: float | None = None) -> list[str]:
        """Key gestures since the last call (see the module docstring for the map);
        ``now`` times holds (default: the monotonic clock)."""
        if self.window is None:
            return []
        now = time.monotonic() if now is None else now
        found = []
        for event in pygame.event.get():  # in order; only these three types are allowed in
            if event.type == pygame.QUIT:
                found.append("quit")
            elif event.type not in (pygame.KEYDOWN, pygame.KEYUP):
                continue
            elif event.key in KEYS and event.type == pygame.KEYDOWN:
                if event.mod & pygame.KMOD_SHIFT:
                    found.append(KEYS[event.key] + ":hold")
                else:
                    self._down[event.key] = now
            elif event.key in self._down:
                held = now - self._down.pop(event.key)
                found.append(KEYS[event.key] + (":hold" if held >= self.hold else ""))
        return found

    # -- inside -----------------------------------------------------------------

    def _open(self) -> tuple[int, int]:
        if self.framebuffer_path:
            self.sink = Framebuffer.open(self.framebuffer_path, self.requested)
            return self.sink.size
        choose_driver()
        try:
            pygame.display.init()
        except pygame.error as error:
            if not kms_missing(error) or not os.path.exists(CONSOLE_FRAMEBUFFER):
                raise
            # PyPI's pygame wheels are built without SDL's kmsdrm driver: on a bare console
            # the kernel's framebuffer (DRM's emulation on a KMS Pi) shows the same frames.
            log.warning("SDL has no kmsdrm driver: drawing to %s instead", CONSOLE_FRAMEBUFFER)
            self.sink = Framebuffer.open(CONSOLE_FRAMEBUFFER, self.requested)
            return self.sink.size
        width, height = self.requested
        flags = 0
        if not (width and height):
            info = pygame.display.Info()
            width, height = (info.current_w, info.current_h) if info.current_w > 0 else DEFAULT_SIZE
            flags = pygame.FULLSCREEN if pygame.display.get_driver() != "dummy" else 0
        self.window = pygame.display.set_mode((width, height), flags)
        pygame.display.set_caption("massage-timer")
        pygame.mouse.set_visible(False)
        pygame.event.set_blocked(None)
        pygame.event.set_allowed([pygame.KEYDOWN, pygame.KEYUP, pygame.QUIT])
        return self.window.get_size()

    def _keys(self, view: View, now: float) -> tuple[object, object]:
        """What the screen shows, split into what needs a full redraw and what moves."""
        if isinstance(view, IdleView):
            return view, None
        static = (
            *(view.state, view.title, view.step_index, view.step_count, view.step_name),
            *(view.instruction, view.area, view.also_lit, view.stroke, view.side),
            view.next_name,
        )
        ticking = view.state == "running" and now - self._tick_at < TICK_MARK
        clocks = (format_clock(view.step_left), format_clock(view.routine_left))
        return static, (*clocks, counter_text(view), ticking)

    def _mark(self, view: RoutineView, now: float) -> None:
        assert self.painter is not None and self.canvas is not None
        box = self.painter.box["tempo"]
        self.canvas.fill((0, 0, 0), box)
        if view.state == "running" and now - self._tick_at < TICK_MARK:
            radius = max(2, min(box.width, box.height) // 4)
            pygame.draw.circle(self.canvas, (255, 255, 255), box.center, radius)

    def _present(self, rects: list[pygame.Rect] | None) -> None:
        """Copy the canvas (or just ``rects`` of it) to the panel, turned as configured."""
        assert self.canvas is not None
        self.frames += 1
        upright = self.canvas.get_size()
        rects = rects or [self.canvas.get_rect()]
        if self.sink is not None:
            self.sink.write(_turned(self.canvas, self.rotation))
            return
        if self.window is None:
            return
        placed = []
        for rect in rects:
            piece = self.canvas.subsurface(rect)
            target = panel_rect(rect, upright, self.rotation)
            self.window.blit(_turned(piece, self.rotation), target)
            placed.append(target)
        pygame.display.update(placed)

    def _next_redraw(self, view: View, now: float) -> float | None:
        if not isinstance(view, RoutineView) or view.state != "running":
            return None
        fraction = view.step_left % 1.0 or 1.0  # the clock rounds up: it changes at whole seconds
        due = now + fraction + 0.001
        if view.reps:
            part = view.step_length / (2 if view.side else 1)
            beat = part / view.reps
            into = (view.step_length - view.step_left) % beat
            due = min(due, now + (beat - into) + 0.001)
        if now - self._tick_at < TICK_MARK:
            due = min(due, self._tick_at + TICK_MARK + 0.001)
        return due


def _turned(canvas: pygame.Surface, rotation: int) -> pygame.Surface:
    return pygame.transform.rotate(canvas, -rotation) if rotation else canvas


def kms_missing(error: pygame.error) -> bool:
    return os.environ.get("SDL_VIDEODRIVER") == "kmsdrm" and "not available" in str(error)


def choose_driver() -> None:
    """Under a desktop SDL picks the desktop's own; on a bare console use KMS/DRM."""
    if os.environ.get("SDL_VIDEODRIVER"):
        return
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ["SDL_VIDEODRIVER"] = "kmsdrm"
