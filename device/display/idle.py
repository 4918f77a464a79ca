"""The idle view: black (a plain mirror) unless woken; then a calm card of the selection."""

from __future__ import annotations

import pygame

from device.core.durations import format_length
from device.core.view import IdleView
from device.display.painter import ACCENT, BLACK, DIM, WHITE, Item
from device.display.text import Fonts, blit_fitted, fit

WARNING = (255, 196, 0)


def draw_idle(surface: pygame.Surface, view: IdleView, fonts: Fonts) -> list[Item]:
    """Draw ``view``; asleep it is entirely black."""
    surface.fill(BLACK)
    if not view.awake:
        return []
    width, height = surface.get_size()
    unit = min(width, height)
    m = max(8, round(unit * 0.06))
    column = pygame.Rect(m, m, width - 2 * m, height - 2 * m)
    rows = [
        (view.routine_title, WHITE, 0.30, 0.13, True),
        (format_length(view.routine_length) if view.routine_length else "", DIM, 0.12, 0.07, False),
        (view.program, ACCENT, 0.14, 0.06, False),
        (view.offer, ACCENT, 0.14, 0.06, False),
    ]
    rows = [row for row in rows if row[0]]
    hint = "Press PLAY to start · NEXT to choose"
    items = _missing(surface, fonts, view.missing, column, unit) if view.missing else []
    items += _rows(surface, fonts, rows, column, unit)
    hint_box = pygame.Rect(
        column.x, column.bottom - round(unit * 0.08), column.width, round(unit * 0.08)
    )
    if view.warnings:
        items += _warning(surface, fonts, view.warnings, hint_box, unit)
        hint_box.width = round(hint_box.width * 0.55)
        items += _line(surface, fonts, hint, hint_box, unit * 0.05, DIM, align="left")
    else:
        items += _line(surface, fonts, hint, hint_box, unit * 0.05, DIM, align="center")
    return items


def _missing(surface, fonts: Fonts, missing, column: pygame.Rect, unit: int) -> list[Item]:
    """A small amber line, top right, naming the hardware that does not work (and takes
    its height from the column, so the rows below never cover it)."""
    row = pygame.Rect(column.x, column.y, column.width, round(unit * 0.06))
    column.update(column.x, row.bottom, column.width, column.height - row.height)
    text = " · ".join(f"no {name}" for name in missing)
    return _line(surface, fonts, text, row, unit * 0.04, WARNING, align="right")


def _rows(surface, fonts: Fonts, rows: list, column: pygame.Rect, unit: int) -> list[Item]:
    """Stack the rows, centred as a block in the space above the hint line."""
    space = pygame.Rect(column.x, column.y, column.width, column.height - round(unit * 0.1))
    fitted = []
    for text, colour, share, size, bold in rows:
        box = pygame.Rect(0, 0, space.width, round(space.height * share))
        fitted.append((fit(fonts, text, box, round(unit * size), 12, bold), colour, box))
    gap = round(unit * 0.03)
    total = sum(f.height for f, _, _ in fitted) + gap * (len(fitted) - 1)
    top = space.y + max(0, (space.height - total) // 2)
    items = []
    for fit_text, colour, box in fitted:
        box.update(space.x, top, space.width, fit_text.height)
        items += [
            Item("text", r) for r in blit_fitted(surface, fit_text, box, colour, align="center")
        ]
        top += fit_text.height + gap
    return items


def _line(
    surface, fonts: Fonts, text: str, box: pygame.Rect, size: float, colour, align: str
) -> list[Item]:
    fitted = fit(fonts, text, box, round(size), 12)
    return [
        Item("text", r)
        for r in blit_fitted(surface, fitted, box, colour, align=align, valign="middle")
    ]


def _warning(surface, fonts: Fonts, count: int, row: pygame.Rect, unit: int) -> list[Item]:
    """A small amber triangle and how many routine files need fixing, bottom right."""
    text = f"{count} routine file{'s' * (count != 1)} to fix"
    box = pygame.Rect(row.x + round(row.width * 0.58), row.y, round(row.width * 0.42), row.height)
    fitted = fit(fonts, text, box, round(unit * 0.045), 12)
    lines = blit_fitted(surface, fitted, box, WARNING, align="right", valign="middle")
    side = round(row.height * 0.7)
    left = min(r.x for r in lines) - side - round(unit * 0.02)
    top = row.centery - side // 2
    icon = pygame.draw.polygon(
        surface, WARNING, [(left, top + side), (left + side // 2, top), (left + side, top + side)]
    )
    mark = fonts.get(max(6, round(side * 0.7)), bold=True).render("!", True, BLACK)
    surface.blit(mark, mark.get_rect(center=(icon.centerx, icon.centery + side // 8)))
    return [Item("icon", icon)] + [Item("text", r) for r in lines]
