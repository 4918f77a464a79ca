"""Routine and idle views: every step of every bundled routine fits, on black, at every size."""

from dataclasses import replace
from pathlib import Path

import pygame
import pytest

from device.core.catalog import load_catalog
from device.core.timeline import plan
from device.core.view import IdleView, RoutineView
from device.display.facemap import EDGE, FILL, FILL_FAINT, FaceMap
from device.display.idle import WARNING, draw_idle
from device.display.painter import BLACK, Painter, boxes, counter_text
from device.display.text import ELLIPSIS, Fonts, fit, wrap

ROUTINES = Path(__file__).resolve().parents[2] / "routines"
SIZES = [(480, 320), (1920, 1080), (320, 480), (1080, 1920)]
LONG = " ".join(["Sweep slowly out along the cheekbone to your ear."] * 8)


@pytest.fixture(scope="module")
def fonts():
    return Fonts()


def bundled_moments():
    """(routine name, step index, state, seconds in) for every step of every bundled routine."""
    catalog = load_catalog([ROUTINES])
    assert catalog.routines, "no bundled routines found"
    for name, routine in sorted(catalog.routines.items()):
        for index, step in enumerate(routine.steps):
            state = "waiting" if step.wait else "running"
            yield name, plan(routine), index, state, step.duration * 0.6


MOMENTS = list(bundled_moments())


def unlit_outside(surface: pygame.Surface, rects) -> int:
    """How many pixels outside ``rects`` are not black."""
    lit = pygame.mask.from_threshold(surface, BLACK, (1, 1, 1, 255))
    lit.invert()
    for rect in rects:
        clipped = rect.clip(surface.get_rect())
        if clipped.width and clipped.height:
            lit.erase(pygame.mask.Mask(clipped.size, fill=True), clipped.topleft)
    return lit.count()


def lit_pixels(surface: pygame.Surface, colour) -> int:
    return pygame.mask.from_threshold(surface, colour, (1, 1, 1, 255)).count()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_bundled_step_fits_on_black(size, fonts):
    surface = pygame.Surface(size)
    screen = surface.get_rect()
    for name, timeline, index, state, at in MOMENTS:
        painter = Painter(size, fonts)
        view = RoutineView.of(timeline, index, state, at)
        items = painter.draw(surface, view)
        where = f"{name} step {index + 1} at {size}"
        texts = [item.rect for item in items if item.kind == "text"]
        assert len(texts) >= 4, where
        assert painter.truncated == [], f"{where}: text cut short in {painter.truncated}"
        for rect in texts:
            assert screen.contains(rect), f"{where}: text at {rect} leaves the screen"
        assert unlit_outside(surface, [item.rect for item in items]) == 0, where
        face = FaceMap(painter.box["face"]).box.clip(screen)
        glow = sum(lit_pixels(surface.subsurface(face), c) for c in (EDGE, FILL, FILL_FAINT))
        assert glow > 0, f"{where}: area {view.area} not lit"


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_overlong_texts_shrink_and_stay_in_their_own_boxes(size, fonts):
    _, timeline, index, state, at = next(m for m in MOMENTS if m[0] == "demo" and m[2] == 1)
    painter = Painter(size, fonts)
    view = RoutineView.of(timeline, index, state, at)
    view = RoutineView(**{**view.__dict__, "instruction": LONG, "step_name": LONG[:90]})
    items = painter.draw(pygame.Surface(size), view)
    named = [item for item in items if item.kind == "text" and item.box]
    assert {item.box for item in named} >= {"title", "name", "instruction", "counter", "next"}
    for item in named:
        assert painter.box[item.box].contains(item.rect), item


def test_boxes_do_not_overlap():
    for size in SIZES:
        found = boxes(size)
        parts = [
            "header",
            "face",
            "name",
            "instruction",
            "counter",
            "tempo",
            "clock",
            "footer",
            "bar",
        ]
        for i, a in enumerate(parts):
            for b in parts[i + 1 :]:
                assert not found[a].colliderect(found[b]), (size, a, b)


def test_wrap_never_exceeds_the_width(fonts):
    font = fonts.get(24)
    for line in wrap(font, LONG + " Supercalifragilisticexpialidocious" * 3, 150):
        assert font.size(line)[0] <= 150


def test_fit_shrinks_type_before_it_overflows(fonts):
    roomy = fit(fonts, "Cheek sweeps", pygame.Rect(0, 0, 600, 200), 60, 12)
    tight = fit(fonts, LONG[:200], pygame.Rect(0, 0, 300, 200), 60, 12)
    assert roomy.font.get_height() > tight.font.get_height()
    assert tight.height <= 200
    assert not tight.lines[-1].endswith(ELLIPSIS) and not tight.truncated


def test_fit_ends_with_an_ellipsis_only_when_even_the_smallest_type_overflows(fonts):
    box = pygame.Rect(0, 0, 200, 60)
    fitted = fit(fonts, LONG, box, 40, 14)
    assert fitted.lines[-1].endswith(ELLIPSIS) and fitted.truncated
    assert fitted.height <= box.height
    assert all(fitted.font.size(line)[0] <= box.width for line in fitted.lines)


def test_counter_text():
    _, timeline, index, state, _ = next(m for m in MOMENTS if m[0] == "demo" and m[2] == 1)
    view = RoutineView.of(timeline, index, state, 2)
    assert counter_text(view) == "Left · 1 of 3"
    later = RoutineView.of(timeline, index, state, 19)
    assert counter_text(later) == "Right · 3 of 3"
    assert counter_text(RoutineView(**{**view.__dict__, "reps": 0, "rep": 0})) == "Left side"
    assert counter_text(RoutineView(**{**view.__dict__, "side": ""})) == "1 of 3"


def test_paused_and_waiting_look_different_from_running(fonts):
    _, timeline, index, _, _ = next(m for m in MOMENTS if m[0] == "demo" and m[2] == 2)
    pictures = {}
    for state in ("running", "paused", "waiting"):
        surface = pygame.Surface((800, 480))
        painter = Painter((800, 480), fonts)
        painter.draw(surface, RoutineView.of(timeline, index, state, 5))
        clock = painter.box["clock"]
        pictures[state] = pygame.image.tobytes(surface.subsurface(clock), "RGB")
    assert len(set(pictures.values())) == 3


def test_idle_asleep_is_entirely_black(fonts):
    surface = pygame.Surface((480, 320))
    surface.fill((255, 255, 255))
    assert draw_idle(surface, IdleView(awake=False, routine_title="Morning depuff"), fonts) == []
    assert unlit_outside(surface, []) == 0


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_idle_awake_shows_the_selection_within_the_screen(size, fonts):
    surface = pygame.Surface(size)
    view = IdleView(
        awake=True,
        routine_title="Smile and marionette lines, the long version",
        routine_length=270,
        program="Week 3 · Day 17 · 12-day streak · today: Cheeks and jaw, 30 min",
        warnings=2,
        offer="Resume Evening wind-down at step 4?",
    )
    items = draw_idle(surface, view, fonts)
    assert len([i for i in items if i.kind == "text"]) >= 5
    assert any(i.kind == "icon" for i in items)  # the warning mark
    for item in items:
        assert surface.get_rect().contains(item.rect), item
    assert unlit_outside(surface, [i.rect for i in items]) == 0


def test_idle_marks_the_hardware_that_does_not_work(fonts):
    view = IdleView(awake=True, routine_title="Morning depuff", routine_length=240)
    plain, marked = pygame.Surface((480, 320)), pygame.Surface((480, 320))
    assert not [i for i in draw_idle(plain, view, fonts) if i.rect.top < 40]
    items = draw_idle(marked, replace(view, missing=("buttons", "speaker")), fonts)
    mark = [i.rect for i in items if i.rect.top < 40]
    assert mark and all(r.right > 480 * 0.6 for r in mark)  # top right
    amber = [
        (x, y)
        for r in mark
        for x in range(r.left, r.right)
        for y in range(r.top, r.bottom)
        if marked.get_at((x, y))[:3] == WARNING
    ]
    assert amber
    for item in items:
        assert marked.get_rect().contains(item.rect), item
    assert unlit_outside(marked, [i.rect for i in items]) == 0
