"""Layout of the routine view: black ground, big type, the face map, a segmented bar.

Behind a two-way mirror only lit pixels show, so everything not drawn is pure
black. ``Painter`` draws the whole view once per step and, while the clock
runs, repaints only the parts that move (clock, counter, time left, bar).
"""

from __future__ import annotations

from dataclasses import dataclass

import pygame

from device.core.durations import format_clock
from device.core.view import RoutineView
from device.display.facemap import EDGE, FaceMap
from device.display.text import Fonts, blit_fitted, fit

BLACK = (0, 0, 0)
WHITE = (255, 255, 255)
SOFT = (205, 205, 205)  # instructions: readable, a step below the headline
DIM = (125, 125, 125)  # labels and what comes next
ACCENT = EDGE  # the same warm glow as the lit face area
ACCENT_DIM = (150, 100, 55)
TRACK = (50, 50, 50)
MOVING = ("clock", "counter", "remaining", "bar")
MAX_SEGMENTS = 30


@dataclass(frozen=True)
class Item:
    """Something drawn: its kind ("text", "face", "bar", "icon") and where."""

    kind: str
    rect: pygame.Rect
    box: str = ""  # the layout box it belongs in, when it has one


def boxes(size: tuple[int, int], roomy: bool = False) -> dict[str, pygame.Rect]:
    """Named boxes for ``size``: face beside the text when landscape, above it when portrait.
    ``roomy`` gives a long instruction some of the clock's height."""
    width, height = size
    unit = min(width, height)
    m = max(8, round(unit * 0.045))
    gap = max(4, round(unit * 0.025))
    header = pygame.Rect(m, m, width - 2 * m, round(unit * 0.075))
    bar = pygame.Rect(
        m, height - m - max(4, round(unit * 0.014)), width - 2 * m, max(4, round(unit * 0.014))
    )
    footer = pygame.Rect(m, bar.y - gap - round(unit * 0.07), width - 2 * m, round(unit * 0.07))
    body = pygame.Rect(m, header.bottom + gap, width - 2 * m, footer.y - header.bottom - 2 * gap)
    if width >= height:
        face = pygame.Rect(body.x, body.y, round(body.width * (0.36 - 0.06 * roomy)), body.height)
        column = pygame.Rect(
            face.right + 2 * gap, body.y, body.right - face.right - 2 * gap, body.height
        )
        shares = {"words": 0.6 + 0.1 * roomy, "counter": 0.12, "clock": 0.28 - 0.1 * roomy}
    else:
        face = pygame.Rect(body.x, body.y, body.width, round(body.height * (0.4 - 0.08 * roomy)))
        column = pygame.Rect(body.x, face.bottom + gap, body.width, body.bottom - face.bottom - gap)
        shares = {"words": 0.56 + 0.12 * roomy, "counter": 0.12, "clock": 0.32 - 0.12 * roomy}
    found = {"header": header, "face": face, "footer": footer, "bar": bar}
    top = column.y
    for name, share in shares.items():
        found[name] = pygame.Rect(column.x, top, column.width, round(column.height * share) - gap)
        top += round(column.height * share)
    words = found["words"]  # the name on top; the instruction takes what the name leaves
    found["name"] = pygame.Rect(words.x, words.y, words.width, round(unit * 0.12))
    found["instruction"] = pygame.Rect(
        words.x, found["name"].bottom + gap, words.width, words.bottom - found["name"].bottom - gap
    )
    counter = found["counter"]
    found["tempo"] = pygame.Rect(
        counter.right - counter.height, counter.y, counter.height, counter.height
    )
    counter.width -= counter.height
    left, right = _split(header)
    found["title"], found["position"] = left, right
    found["next"], found["remaining"] = _split(footer, 0.74)
    return found


def _split(box: pygame.Rect, share: float = 0.66) -> tuple[pygame.Rect, pygame.Rect]:
    """Two boxes side by side with a gap, so neighbouring texts never touch."""
    gap = max(6, box.height // 2)
    left = pygame.Rect(box.x, box.y, round(box.width * share) - gap, box.height)
    right = pygame.Rect(left.right + gap, box.y, box.right - left.right - gap, box.height)
    return left, right


def counter_text(view: RoutineView) -> str:
    """``Left · 4 of 10``, ``Right side``, ``4 of 10`` or nothing."""
    parts = []
    if view.side:
        parts.append(view.side.capitalize() + ("" if view.reps else " side"))
    if view.reps:
        parts.append(f"{view.rep} of {view.reps}")
    return " · ".join(parts)


class Painter:
    """Draws ``RoutineView`` on a surface of a fixed size; fonts fitted once per step."""

    def __init__(self, size: tuple[int, int], fonts: Fonts, mirror: bool = True) -> None:
        self.size = size
        self.fonts = fonts
        self.mirror = mirror
        self.box = boxes(size)
        self.unit = min(size)
        self._clock_font: dict[str, pygame.font.Font] = {}
        self.truncated: list[str] = []

    def draw(self, surface: pygame.Surface, view: RoutineView) -> list[Item]:
        """The whole view; a long instruction that would be cut short gets more room."""
        self.box = boxes(self.size)
        items = self._draw(surface, view)
        if "instruction" in self.truncated:
            self.box = boxes(self.size, roomy=True)
            items = self._draw(surface, view)
        return items

    def _draw(self, surface: pygame.Surface, view: RoutineView) -> list[Item]:
        self.truncated = []  # boxes whose text needed an ellipsis (should stay empty)
        surface.fill(BLACK)
        items = self._header(surface, view)
        lit = FaceMap(self.box["face"], self.mirror).draw(
            surface, (view.area, *view.also_lit), view.stroke, view.side
        )
        items.append(Item("face", lit.union(FaceMap(self.box["face"]).box)))
        items += self._texts(surface, view)
        items += self.draw_moving(surface, view, clear=False)
        return items

    def draw_moving(
        self, surface: pygame.Surface, view: RoutineView, clear: bool = True
    ) -> list[Item]:
        """Only what changes while a step runs; returns what it drew."""
        parts = {
            "clock": self._clock,
            "counter": self._counter,
            "remaining": self._remaining,
            "bar": self._bar,
        }  # MOVING's boxes, in its order
        items: list[Item] = []
        for name in MOVING:
            if clear:
                surface.fill(BLACK, self.box[name])
            items += parts[name](surface, view)
        return items

    def _text(
        self, surface, name: str, text: str, colour, largest: float, bold=False, smallest=0, **how
    ) -> list[Item]:
        if not text:
            return []
        box = self.box[name]
        smallest = smallest or max(12, round(self.unit * 0.04))
        fitted = fit(self.fonts, text, box, round(largest), smallest, bold)
        if fitted.truncated:
            self.truncated.append(name)
        return [Item("text", r, name) for r in blit_fitted(surface, fitted, box, colour, **how)]

    def _header(self, surface, view: RoutineView) -> list[Item]:
        size = self.box["header"].height * 0.8
        position = f"Step {view.step_index + 1} of {view.step_count}"
        return [
            *self._text(surface, "title", view.title, DIM, size, valign="middle"),
            *self._text(surface, "position", position, DIM, size, align="right", valign="middle"),
        ]

    def _texts(self, surface, view: RoutineView) -> list[Item]:
        words, name = self.box["words"], self.box["name"]
        items = self._text(surface, "name", view.step_name, WHITE, self.unit * 0.085, bold=True)
        used = max((item.rect.bottom for item in items), default=name.y)
        top = used + max(4, round(self.unit * 0.02))
        self.box["instruction"] = pygame.Rect(words.x, top, words.width, words.bottom - top)
        instruction = view.instruction if view.state != "done" else "Well done."
        smallest = max(12, round(self.unit * 0.03))
        items += self._text(
            surface, "instruction", instruction, SOFT, self.unit * 0.068, smallest=smallest
        )
        following = f"Next: {view.next_name}" if view.next_name else "Last step"
        size = self.box["next"].height * 0.75
        smallest = max(11, round(self.unit * 0.028))
        return items + self._text(
            surface, "next", following, DIM, size, smallest=smallest, valign="middle"
        )

    def _counter(self, surface, view: RoutineView) -> list[Item]:
        text = "Paused · press PLAY" if view.state == "paused" else counter_text(view)
        size = self.box["counter"].height * 0.85
        return self._text(surface, "counter", text, ACCENT, size, True, valign="middle")

    def _clock(self, surface, view: RoutineView) -> list[Item]:
        box = self.box["clock"]
        if view.state in ("waiting", "ready", "done"):
            label = {"waiting": "Press PLAY", "ready": "Press PLAY to start", "done": "Done"}[
                view.state
            ]
            icon = [] if view.state == "done" else [Item("icon", _play_icon(surface, box, ACCENT))]
            offset = icon[0].rect.width + box.height // 4 if icon else 0
            rest = pygame.Rect(box.x + offset, box.y, box.width - offset, box.height)
            fitted = fit(self.fonts, label, rest, round(box.height * 0.62), 12, bold=True)
            return icon + [
                Item("text", r) for r in blit_fitted(surface, fitted, rest, ACCENT, valign="middle")
            ]
        text = format_clock(view.step_left)
        font = self._fitted_clock(text, box)
        colour = DIM if view.state == "paused" else WHITE
        image = font.render(text, True, colour)
        rect = image.get_rect(midleft=box.midleft)
        surface.blit(image, rect)
        if view.state != "paused":
            return [Item("text", rect)]
        icon_box = pygame.Rect(rect.right + box.height // 4, box.y, box.height, box.height)
        icon_box.right = min(icon_box.right, box.right)
        return [Item("text", rect), Item("icon", _pause_icon(surface, icon_box, ACCENT))]

    def _fitted_clock(self, text: str, box: pygame.Rect) -> pygame.font.Font:
        """One size for every value of a clock this long, so digits never jump."""
        template = "".join("8" if ch.isdigit() else ch for ch in text)
        key = f"{template}@{box.height}"
        if key not in self._clock_font:
            fitted = fit(self.fonts, template, box, round(box.height * 1.15), 12, bold=True)
            self._clock_font[key] = fitted.font
        return self._clock_font[key]

    def _remaining(self, surface, view: RoutineView) -> list[Item]:
        text = f"{format_clock(view.routine_left)} left" if view.state != "done" else ""
        size = self.box["remaining"].height * 0.75
        return self._text(surface, "remaining", text, DIM, size, align="right", valign="middle")

    def _bar(self, surface, view: RoutineView) -> list[Item]:
        box = self.box["bar"]
        count = view.step_count
        if count > MAX_SEGMENTS:  # too many for segments: one continuous bar
            pygame.draw.rect(surface, TRACK, box)
            done = box.copy()
            done.width = round(box.width * view.progress)
            pygame.draw.rect(surface, ACCENT, done)
            return [Item("bar", box)]
        gap = max(2, box.height)
        width = (box.width - gap * (count - 1)) / count
        within = 1 - view.step_left / view.step_length if view.step_length else 0.0
        if view.state == "done":
            within = 1.0
        for index in range(count):
            segment = pygame.Rect(
                round(box.x + index * (width + gap)), box.y, max(1, round(width)), box.height
            )
            colour = ACCENT_DIM if index < view.step_index else TRACK
            pygame.draw.rect(surface, colour, segment)
            if index == view.step_index:
                segment.width = max(1, round(segment.width * within))
                pygame.draw.rect(surface, ACCENT, segment)
        return [Item("bar", box)]


def _play_icon(surface: pygame.Surface, box: pygame.Rect, colour) -> pygame.Rect:
    side = round(box.height * 0.5)
    x, y = box.x, box.centery
    points = [(x, y - side // 2), (x + round(side * 0.87), y), (x, y + side // 2)]
    return pygame.draw.polygon(surface, colour, points)


def _pause_icon(surface: pygame.Surface, box: pygame.Rect, colour) -> pygame.Rect:
    tall = round(box.height * 0.55)
    bar = max(2, tall // 3)
    top = box.centery - tall // 2
    left = pygame.draw.rect(surface, colour, (box.x, top, bar, tall))
    right = pygame.draw.rect(surface, colour, (box.x + bar * 2, top, bar, tall))
    return left.union(right)
