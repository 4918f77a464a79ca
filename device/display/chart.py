"""``history --png``: minutes per week as bars, the program's target marked on each week."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pygame

from device.core.totals import Week
from device.display.painter import ACCENT, BLACK, DIM, WHITE
from device.display.text import Fonts

BAR = (96, 160, 220)
GRID = (50, 50, 50)
SIZE = (960, 480)


@dataclass(frozen=True)
class Layout:
    """Where the bars go: ``plot`` holds them, ``per_minute`` pixels of height a minute."""

    plot: pygame.Rect
    per_minute: float
    slot: float  # pixels of width a week

    def bar(self, index: int, minutes: float) -> pygame.Rect:
        height = round(minutes * self.per_minute)
        left = self.plot.x + round(index * self.slot + self.slot * 0.15)
        width = max(1, round(self.slot * 0.7))
        return pygame.Rect(left, self.plot.bottom - height, width, height)


def layout(weeks: list[Week], size: tuple[int, int] = SIZE) -> Layout:
    width, height = size
    plot = pygame.Rect(70, 60, width - 100, height - 120)
    top = max([w.minutes for w in weeks] + [w.target for w in weeks] + [1.0])
    scale_top = _step(top) * math.ceil(top / _step(top))
    return Layout(plot, plot.height / scale_top, plot.width / max(1, len(weeks)))


def draw_chart(weeks: list[Week], title: str, size: tuple[int, int] = SIZE) -> pygame.Surface:
    """The chart of ``weeks`` at ``size``, drawn off-screen (no display needed)."""
    fonts = Fonts()
    surface = pygame.Surface(size)
    surface.fill(BLACK)
    shape = layout(weeks, size)
    _grid(surface, fonts, shape)
    for index, week in enumerate(weeks):
        pygame.draw.rect(surface, BAR, shape.bar(index, week.minutes))
        if week.target:
            mark = shape.bar(index, week.target)
            pygame.draw.line(surface, ACCENT, mark.topleft, (mark.right - 1, mark.top), 3)
        if index % max(1, len(weeks) // 10) == 0:
            label = fonts.get(13).render(f"{week.monday:%d %b}", True, DIM)
            surface.blit(label, (shape.bar(index, 0).x, shape.plot.bottom + 8))
    surface.blit(fonts.get(22, bold=True).render(title, True, WHITE), (shape.plot.x, 16))
    if any(week.target for week in weeks):
        key = fonts.get(14).render("— program target", True, ACCENT)
        surface.blit(key, (shape.plot.right - key.get_width(), 22))
    return surface


def _grid(surface: pygame.Surface, fonts: Fonts, shape: Layout) -> None:
    """Horizontal lines at round numbers of minutes, labelled on the left."""
    top_minutes = shape.plot.height / shape.per_minute
    step = _step(top_minutes)
    value = 0.0
    while value <= top_minutes + 0.01:
        y = shape.plot.bottom - round(value * shape.per_minute)
        pygame.draw.line(surface, GRID, (shape.plot.x, y), (shape.plot.right, y))
        label = fonts.get(13).render(f"{value:g}", True, DIM)
        surface.blit(label, (shape.plot.x - label.get_width() - 8, y - label.get_height() // 2))
        value += step


def _step(top: float) -> float:
    """A round grid step giving about four lines up to ``top`` minutes."""
    for step in (5, 10, 15, 30, 60, 90, 120, 180, 240, 300, 600):
        if top / step <= 5:
            return float(step)
    return 1200.0
