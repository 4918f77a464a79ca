"""Fonts and text that fits: wrap, shrink before overflowing, never clip.

DejaVu Sans (Debian's fonts-dejavu-core, installed by the setup) when present,
else pygame's bundled freesansbold. Nothing is downloaded at run time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pygame

log = logging.getLogger(__name__)
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
ELLIPSIS = "…"


def system_fonts() -> tuple[str, str] | None:
    """Paths of DejaVu Sans regular and bold, if the package is installed."""
    regular, bold = DEJAVU / "DejaVuSans.ttf", DEJAVU / "DejaVuSans-Bold.ttf"
    return (str(regular), str(bold)) if regular.exists() and bold.exists() else None


class Fonts:
    """Fonts by pixel size, cached; ``bundled=True`` forces pygame's own font (for tests
    whose reference images must not depend on what the machine has installed)."""

    def __init__(self, bundled: bool = False) -> None:
        if not pygame.font.get_init():
            pygame.font.init()
        found = None if bundled else system_fonts()
        self.paths: tuple[str | None, str | None] = found or (None, None)
        self.name = "DejaVu Sans" if found else pygame.font.get_default_font()
        self._cache: dict[tuple[int, bool], pygame.font.Font] = {}

    def get(self, size: int, bold: bool = False) -> pygame.font.Font:
        key = (max(6, size), bold)
        if key not in self._cache:
            self._cache[key] = pygame.font.Font(self.paths[bold], key[0])
        return self._cache[key]


@dataclass(frozen=True)
class Fitted:
    """Text laid out in a box: its lines and the font that fits them."""

    lines: tuple[str, ...]
    font: pygame.font.Font
    truncated: bool = False  # even the smallest size overflowed; the last line ends in "…"

    @property
    def height(self) -> int:
        return _height(self.font, len(self.lines))


def _height(font: pygame.font.Font, count: int) -> int:
    """Pixels taken by ``count`` lines: full line steps, then the last line's own height."""
    return (count - 1) * font.get_linesize() + font.get_height() if count else 0


def wrap(font: pygame.font.Font, text: str, width: int) -> list[str]:
    """Greedy word wrap; a word wider than the box is broken between letters."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}".strip()
            if font.size(candidate)[0] <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            line = word
            while font.size(line)[0] > width and len(line) > 1:
                cut = _longest_prefix(font, line, width)
                lines.append(line[:cut])
                line = line[cut:]
        lines.append(line)
    return lines


def _longest_prefix(font: pygame.font.Font, word: str, width: int) -> int:
    cut = len(word) - 1
    while cut > 1 and font.size(word[:cut])[0] > width:
        cut -= 1
    return cut


def fit(
    fonts: Fonts, text: str, box: pygame.Rect, largest: int, smallest: int, bold: bool = False
) -> Fitted:
    """The largest size from ``smallest`` to ``largest`` at which ``text`` fits ``box``;
    below that, the smallest size with the last line ending in an ellipsis."""
    smallest = min(smallest, largest)
    low, high = smallest, largest
    best = None
    while low <= high:  # sizes that fit form a prefix, so bisect
        size = (low + high) // 2
        font = fonts.get(size, bold)
        lines = wrap(font, text, box.width)
        if _height(font, len(lines)) <= box.height:
            best, low = Fitted(tuple(lines), font), size + 1
        else:
            high = size - 1
    return best or _truncated(fonts.get(smallest, bold), text, box)


def _truncated(font: pygame.font.Font, text: str, box: pygame.Rect) -> Fitted:
    lines = wrap(font, text, box.width)
    keep = 1
    while _height(font, keep + 1) <= box.height:
        keep += 1
    if len(lines) > keep:
        last = lines[keep - 1]
        while last and font.size(last + ELLIPSIS)[0] > box.width:
            last = last[:-1].rstrip()
        return Fitted((*lines[: keep - 1], last + ELLIPSIS), font, truncated=True)
    return Fitted(tuple(lines), font)


def blit_fitted(
    surface: pygame.Surface,
    fitted: Fitted,
    box: pygame.Rect,
    colour,
    align: str = "left",
    valign: str = "top",
) -> list[pygame.Rect]:
    """Draw ``fitted`` inside ``box``; return the rectangle of each line drawn."""
    step = fitted.font.get_linesize()
    top = box.y
    if valign == "middle":
        top = box.y + (box.height - fitted.height) // 2
    elif valign == "bottom":
        top = box.bottom - fitted.height
    rects = []
    for number, line in enumerate(fitted.lines):
        image = fitted.font.render(line, True, colour)
        rect = image.get_rect(top=top + number * step)
        if align == "center":
            rect.centerx = box.centerx
        elif align == "right":
            rect.right = box.right
        else:
            rect.x = box.x
        surface.blit(image, rect)
        rects.append(rect)  # unclipped, so a caller can see text that would overflow
    return rects
