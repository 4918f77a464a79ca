"""The face map: a line drawing of a face with the step's area lit and its strokes drawn.

Everything is vectors in a unit box (x 0..1 across, y 0..UNIT_HEIGHT down, the
face looking out of the screen), scaled to any rectangle. ``mirror`` decides
which half of the drawing is the user's left: True (the default) draws their
reflection, so their left cheek lights up on the screen's left, right where
they see it in the glass; False draws a face looking at them, like a textbook
diagram, with their left on the screen's right.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence

import pygame

from device.core.routine import AREAS

Point = tuple[float, float]
UNIT_HEIGHT = 1.3
LINE = (135, 135, 135)  # the face itself: visible, but quieter than the lit area
FILL = (112, 66, 24)  # the lit area: a warm glow under the lines
FILL_FAINT = (70, 41, 15)  # the whole face lit
EDGE = (255, 170, 90)  # its outline
ARROW = (255, 255, 255)  # strokes, the brightest thing on the map

# Each area: shapes to fill, as ("ellipse", cx, cy, rx, ry) or ("capsule", x1, y1, x2, y2, r)
# or ("polygon", points); both halves of the face. ``_ANCHORS``: where stroke arrows go.
_SHAPES: dict[str, list[tuple]] = {
    "forehead": [("ellipse", 0.5, 0.255, 0.25, 0.085)],
    "brows": [
        ("capsule", 0.29, 0.395, 0.44, 0.38, 0.03),
        ("capsule", 0.56, 0.38, 0.71, 0.395, 0.03),
    ],
    "eyes": [("ellipse", 0.345, 0.47, 0.12, 0.05), ("ellipse", 0.655, 0.47, 0.12, 0.05)],
    "temples": [("ellipse", 0.185, 0.40, 0.05, 0.08), ("ellipse", 0.815, 0.40, 0.05, 0.08)],
    "cheeks": [("ellipse", 0.31, 0.61, 0.095, 0.07), ("ellipse", 0.69, 0.61, 0.095, 0.07)],
    "nose": [("ellipse", 0.5, 0.565, 0.055, 0.115)],
    "nasolabial": [
        ("capsule", 0.435, 0.645, 0.395, 0.775, 0.028),
        ("capsule", 0.565, 0.645, 0.605, 0.775, 0.028),
    ],
    "mouth": [("ellipse", 0.5, 0.79, 0.12, 0.05)],
    "marionette": [
        ("capsule", 0.39, 0.815, 0.375, 0.915, 0.028),
        ("capsule", 0.61, 0.815, 0.625, 0.915, 0.028),
    ],
    "chin": [("ellipse", 0.5, 0.945, 0.095, 0.05)],
    "neck": [("polygon", [(0.37, 1.02), (0.63, 1.02), (0.65, 1.27), (0.35, 1.27)])],
}
_ANCHORS: dict[str, list[Point]] = {
    "forehead": [(0.38, 0.27), (0.62, 0.27)],
    "brows": [(0.365, 0.385), (0.635, 0.385)],
    "eyes": [(0.245, 0.47), (0.755, 0.47)],
    "temples": [(0.185, 0.40), (0.815, 0.40)],
    "cheeks": [(0.31, 0.61), (0.69, 0.61)],
    "nose": [(0.5, 0.57)],
    "nasolabial": [(0.415, 0.71), (0.585, 0.71)],
    "mouth": [(0.5, 0.79)],
    "marionette": [(0.382, 0.865), (0.618, 0.865)],
    "jawline": [(0.27, 0.84), (0.73, 0.84)],
    "chin": [(0.5, 0.945)],
    "neck": [(0.43, 1.15), (0.57, 1.15)],
    "whole_face": [(0.3, 0.6), (0.7, 0.6), (0.5, 0.27)],
}
assert set(_ANCHORS) == set(AREAS), "every area needs arrow anchors"


def face_outline(steps: int = 48) -> list[Point]:
    """An egg: round over the brow, narrowing through the jaw to the chin."""
    points = []
    for i in range(steps):
        t = 2 * math.pi * i / steps
        y = 0.55 - 0.45 * math.cos(t)
        narrow = 1 - 0.42 * max(0.0, (y - 0.55) / 0.45) ** 2
        points.append((0.5 + 0.36 * math.sin(t) * narrow, y))
    return points


def jaw_points(right: bool) -> list[Point]:
    """The lower edge of the face on one side, ear to chin."""
    outline = face_outline()
    half = [p for p in outline if p[1] > 0.62 and (p[0] > 0.5) == right]
    return sorted(half, key=lambda p: p[1])


class FaceMap:
    """Draws into ``rect`` (kept at the face's aspect ratio and centred)."""

    def __init__(self, rect: pygame.Rect, mirror: bool = True) -> None:
        scale = min(rect.width, rect.height / UNIT_HEIGHT)
        self.scale = scale
        self.origin = (rect.centerx - scale / 2, rect.centery - scale * UNIT_HEIGHT / 2)
        self.mirror = mirror
        self.line = max(1, round(scale / 130))
        self.edge = max(1, round(scale / 80))  # the lit area's outline
        self.pen = max(2, round(scale / 90))  # arrows: bolder than the face lines

    def at(self, point: Point) -> tuple[int, int]:
        return (
            round(self.origin[0] + point[0] * self.scale),
            round(self.origin[1] + point[1] * self.scale),
        )

    @property
    def box(self) -> pygame.Rect:
        x, y = self.at((0, 0))
        return pygame.Rect(x, y, round(self.scale), round(self.scale * UNIT_HEIGHT))

    def half(self, side: str) -> pygame.Rect:
        """The screen half holding the user's ``side`` (see the module docstring)."""
        box = self.box
        on_left = (side == "left") == self.mirror
        width = box.width // 2
        return pygame.Rect(
            box.x if on_left else box.centerx, box.y - box.height, width, box.height * 3
        )

    def draw(
        self, surface: pygame.Surface, area: str | tuple[str, ...], stroke: str, side: str = ""
    ) -> pygame.Rect:
        """Draw the face with ``area`` (one, or several lit together) lit; return the lit
        rectangle (areas plus arrows)."""
        areas = (area,) if isinstance(area, str) else area
        clip = surface.get_clip()
        if side:
            surface.set_clip(self.half(side).clip(clip))
        fills = [self._fill(surface, one) for one in areas]
        lit = fills[0].unionall(fills[1:])
        surface.set_clip(clip)
        self._lines(surface)
        anchors = [anchor for one in areas for anchor in self._anchors(one, side)]
        lit = lit.unionall([self._stroke(surface, a, stroke) for a in anchors] or [lit])
        return lit

    # -- the lit area -------------------------------------------------------------

    def _fill(self, surface: pygame.Surface, area: str) -> pygame.Rect:
        if area == "whole_face":  # a big area: a fainter fill, so it glows rather than glares
            points = [self.at(p) for p in face_outline()]
            pygame.draw.polygon(surface, FILL_FAINT, points)
            return pygame.draw.polygon(surface, EDGE, points, self.edge).clip(surface.get_clip())
        if area == "jawline":  # both edges first, so the halves merge at the chin
            radius = round(0.035 * self.scale)
            sides = [jaw_points(right) for right in (False, True)]
            rects = [self._thick(surface, EDGE, edge, radius) for edge in sides]
            for edge in sides:
                self._thick(surface, FILL, edge, max(1, radius - self.edge))
            return rects[0].union(rects[1]).clip(surface.get_clip())
        rects = [self._shape(surface, shape) for shape in _SHAPES[area]]
        return rects[0].unionall(rects[1:]).clip(surface.get_clip())

    def _shape(self, surface: pygame.Surface, shape: tuple) -> pygame.Rect:
        kind, *data = shape
        if kind == "ellipse":
            cx, cy, rx, ry = data
            left, top = self.at((cx - rx, cy - ry))
            box = pygame.Rect(left, top, round(2 * rx * self.scale), round(2 * ry * self.scale))
            pygame.draw.ellipse(surface, FILL, box)
            return pygame.draw.ellipse(surface, EDGE, box, self.edge)
        if kind == "capsule":
            x1, y1, x2, y2, r = data
            return self._band(surface, [(x1, y1), (x2, y2)], r)
        points = [self.at(p) for p in data[0]]
        pygame.draw.polygon(surface, FILL, points)
        return pygame.draw.polygon(surface, EDGE, points, self.edge)

    def _band(
        self, surface: pygame.Surface, points: Sequence[Point], r: float = 0.035
    ) -> pygame.Rect:
        """A thick rounded stroke along ``points``: the edge colour first, the fill inside."""
        radius = max(2, round(r * self.scale))
        edge = self._thick(surface, EDGE, points, radius)
        self._thick(surface, FILL, points, max(1, radius - self.edge))
        return edge

    def _thick(
        self, surface: pygame.Surface, colour, points: Sequence[Point], radius: int
    ) -> pygame.Rect:
        pixels = [self.at(p) for p in points]
        rects = [pygame.draw.circle(surface, colour, p, radius) for p in pixels]
        for a, b in itertools.pairwise(pixels):
            rects.append(_segment(surface, colour, a, b, radius))
        return rects[0].unionall(rects[1:])

    # -- the face lines -----------------------------------------------------------

    def _lines(self, surface: pygame.Surface) -> None:
        width = self.line
        self._path(surface, face_outline(), width, closed=True)
        for flip in (False, True):
            sym = _mirrored if flip else (lambda pts: pts)
            self._path(surface, sym(_arc(0.365, 0.41, 0.085, 0.035, 200, 340)), width + 1)  # brow
            self._path(surface, sym(_arc(0.355, 0.475, 0.07, 0.03, 180, 360)), width)  # upper lid
            self._path(surface, sym(_arc(0.355, 0.475, 0.07, 0.018, 0, 180)), width)  # lower lid
            self._path(surface, sym(_arc(0.14, 0.52, 0.035, 0.075, 95, 265)), width)  # ear
            self._path(surface, sym([(0.465, 0.45), (0.455, 0.6), (0.44, 0.645)]), width)  # nose
            self._path(surface, sym([(0.39, 0.99), (0.40, 1.08), (0.43, 1.27)]), width)  # neck
        self._path(surface, _arc(0.5, 0.62, 0.065, 0.035, 25, 155), width)  # nose base
        self._path(surface, _arc(0.5, 0.74, 0.095, 0.035, 25, 155), width + 1)  # lips
        self._path(surface, _arc(0.5, 0.76, 0.06, 0.03, 20, 160), width)  # lower lip
        self._path(surface, _arc(0.5, 0.38, 0.34, 0.24, 200, 340), width)  # hairline

    def _path(self, surface, points: Sequence[Point], width: int, closed: bool = False) -> None:
        pixels = [self.at(p) for p in points]
        if width <= 1:
            pygame.draw.aalines(surface, LINE, closed, pixels)
            return
        pygame.draw.lines(surface, LINE, closed, pixels, width)
        for p in pixels:  # round joints: pygame leaves notches between thick segments
            pygame.draw.circle(surface, LINE, p, width // 2)

    # -- the strokes --------------------------------------------------------------

    def _anchors(self, area: str, side: str) -> list[Point]:
        anchors = _ANCHORS[area]
        if not side:
            return anchors
        box, half = self.box, self.half(side)
        on_left = half.x == box.x
        kept = [(x, y) for x, y in anchors if x != 0.5 and (x < 0.5) == on_left]
        centred = [(0.5 + (-0.12 if on_left else 0.12), y) for x, y in anchors if x == 0.5]
        return kept + centred if kept or centred else anchors

    def _stroke(self, surface: pygame.Surface, anchor: Point, stroke: str) -> pygame.Rect:
        size = 0.075
        x, y = anchor
        if stroke in ("up", "down"):
            dy = -size if stroke == "up" else size
            return self._arrow(surface, (x, y - dy), (x, y + dy))
        if stroke in ("out", "in"):
            dirs = [-1, 1] if x == 0.5 else [-1 if x < 0.5 else 1]
            rects = []
            for d in dirs:
                start, end = (x + d * 0.02, y + 0.02), (x + d * (0.02 + 2 * size), y - 0.02)
                if stroke == "in":
                    start, end = end, start
                rects.append(self._arrow(surface, start, end))
            return rects[0].unionall(rects[1:])
        if stroke == "circles":
            ring = _arc(x, y, size, size, 40, 340)
            self._arrow(surface, ring[-2], ring[-1])
            return self._polyline(surface, ring)
        if stroke == "press":
            centre = self.at(anchor)
            pygame.draw.circle(surface, ARROW, centre, round(size * 0.35 * self.scale))
            return pygame.draw.circle(surface, ARROW, centre, round(size * self.scale), self.edge)
        return pygame.Rect(self.at(anchor), (0, 0))  # "still": the lit area says it all

    def _polyline(self, surface: pygame.Surface, points: Sequence[Point]) -> pygame.Rect:
        return self._thick(surface, ARROW, points, self.pen // 2 + 1)

    def _arrow(self, surface: pygame.Surface, start: Point, end: Point) -> pygame.Rect:
        angle = math.atan2(end[1] - start[1], end[0] - start[0])
        head = 0.05
        wings = [
            (end[0] - head * math.cos(angle + s), end[1] - head * math.sin(angle + s))
            for s in (0.55, -0.55)
        ]
        neck = (end[0] - head * 0.7 * math.cos(angle), end[1] - head * 0.7 * math.sin(angle))
        body = self._polyline(surface, [start, neck])  # stops short, so the tip stays sharp
        tip = pygame.draw.polygon(
            surface, ARROW, [self.at(end), self.at(wings[0]), self.at(wings[1])]
        )
        return body.union(tip)


def _segment(surface: pygame.Surface, colour, a, b, radius: int) -> pygame.Rect:
    """A filled quadrilateral of half-width ``radius`` from ``a`` to ``b``."""
    length = math.dist(a, b) or 1.0
    nx, ny = (b[1] - a[1]) / length * radius, (a[0] - b[0]) / length * radius
    corners = [
        (a[0] + nx, a[1] + ny),
        (b[0] + nx, b[1] + ny),
        (b[0] - nx, b[1] - ny),
        (a[0] - nx, a[1] - ny),
    ]
    return pygame.draw.polygon(surface, colour, corners)


def _arc(
    cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int = 16
) -> list[Point]:
    """Points along an ellipse from ``start`` to ``end`` degrees (0 = right, 90 = down)."""
    return [
        (cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
        for a in (start + (end - start) * i / n for i in range(n + 1))
    ]


def _mirrored(points: Iterable[Point]) -> list[Point]:
    return [(1 - x, y) for x, y in points]
