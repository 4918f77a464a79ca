"""The face map: the right area lit, on the right side, arrows pointing the right way."""

import pygame
import pytest

from device.core.routine import AREAS, STROKES
from device.display.facemap import ARROW, FILL, FILL_FAINT, UNIT_HEIGHT, FaceMap

SIZE = (400, 520)

# Where each area's glow must sit, in face units (x 0..1 across, y 0..1.3 down), written
# from anatomy rather than copied from facemap.py: (x low, x high, y low, y high).
EXPECTED_CENTRE = {
    "forehead": (0.4, 0.6, 0.15, 0.33),
    "brows": (0.4, 0.6, 0.34, 0.43),
    "eyes": (0.4, 0.6, 0.42, 0.52),
    "temples": (0.4, 0.6, 0.33, 0.47),
    "cheeks": (0.4, 0.6, 0.55, 0.68),
    "nose": (0.45, 0.55, 0.45, 0.66),
    "nasolabial": (0.45, 0.55, 0.64, 0.78),
    "mouth": (0.45, 0.55, 0.74, 0.84),
    "marionette": (0.45, 0.55, 0.8, 0.93),
    "jawline": (0.4, 0.6, 0.7, 0.95),
    "chin": (0.45, 0.55, 0.9, 1.0),
    "neck": (0.4, 0.6, 1.02, 1.27),
    "whole_face": (0.45, 0.55, 0.45, 0.65),
}
# Paired areas: the glow reaches well out to both sides of the face.
PAIRED = ("brows", "eyes", "temples", "cheeks", "nasolabial", "marionette", "jawline")


def glow(area: str, stroke: str = "still", side: str = "", mirror: bool = True):
    """Draw and return (mask of lit-area pixels, the map, the surface)."""
    surface = pygame.Surface(SIZE)
    face = FaceMap(surface.get_rect(), mirror)
    face.draw(surface, area, stroke, side)
    colour = FILL_FAINT if area == "whole_face" else FILL
    return pygame.mask.from_threshold(surface, colour, (1, 1, 1, 255)), face, surface


def to_unit(face: FaceMap, point) -> tuple[float, float]:
    box = face.box
    return (point[0] - box.x) / face.scale, (point[1] - box.y) / face.scale


@pytest.mark.parametrize("area", AREAS)
def test_each_area_lights_where_it_is_on_a_face(area):
    mask, face, _ = glow(area)
    assert mask.count() > 100, f"{area} is not lit"
    x, y = to_unit(face, mask.centroid())
    x_low, x_high, y_low, y_high = EXPECTED_CENTRE[area]
    assert x_low <= x <= x_high and y_low <= y <= y_high, f"{area} lit around {(x, y)}"


@pytest.mark.parametrize("area", PAIRED)
def test_paired_areas_light_both_sides(area):
    mask, face, _ = glow(area)
    rects = mask.get_bounding_rects()
    left = to_unit(face, (min(r.left for r in rects), 0))[0]
    right = to_unit(face, (max(r.right for r in rects), 0))[0]
    assert left < 0.4 and right > 0.6
    assert mask.get_at((face.box.centerx, face.at((0.5, 0.47))[1])) == 0  # the nose line is dark


def test_areas_differ_from_each_other():
    parts = [a for a in AREAS if a != "whole_face"]  # which holds all the others
    masks = {area: glow(area)[0] for area in parts}
    for a in parts:
        for b in parts:
            if a < b:
                overlap = masks[a].overlap_area(masks[b], (0, 0))
                assert overlap < 0.8 * min(masks[a].count(), masks[b].count()), (a, b)


@pytest.mark.parametrize(
    ("mirror", "side", "screen_half"),
    [
        (True, "left", "left"),
        (True, "right", "right"),
        (False, "left", "right"),
        (False, "right", "left"),
    ],
)
def test_a_side_lights_one_half_mirrored_like_a_reflection(mirror, side, screen_half):
    """In a mirror your left cheek appears on your left; mirror=True keeps it screen-left."""
    mask, face, _ = glow("cheeks", "out", side, mirror)
    centre_x = face.box.centerx
    lit_xs = [r.centerx for r in mask.get_bounding_rects()]
    assert lit_xs
    assert all((x < centre_x) == (screen_half == "left") for x in lit_xs)


def test_a_centre_area_with_a_side_lights_only_that_half():
    mask, face, _ = glow("forehead", "up", "right", mirror=True)
    assert all(r.left >= face.box.centerx - 1 for r in mask.get_bounding_rects())


def arrow_pixels(surface: pygame.Surface) -> pygame.mask.Mask:
    return pygame.mask.from_threshold(surface, ARROW, (1, 1, 1, 255))


@pytest.mark.parametrize("stroke", [s for s in STROKES if s != "still"])
def test_strokes_draw_arrows_and_still_draws_none(stroke):
    assert arrow_pixels(glow("cheeks", stroke)[2]).count() > 50
    assert arrow_pixels(glow("cheeks", "still")[2]).count() == 0


def heavier_half(stroke: str, area: str = "neck") -> str:
    """Which half of the arrows' box holds more ink: the arrowhead's end."""
    arrows = arrow_pixels(glow(area, stroke)[2])
    box = arrows.get_bounding_rects()[0].unionall(arrows.get_bounding_rects())
    top = pygame.mask.Mask(SIZE)
    top.draw(pygame.mask.Mask((box.width, box.height // 2), fill=True), box.topleft)
    upper = arrows.overlap_area(top, (0, 0))
    return "top" if upper > arrows.count() - upper else "bottom"


def test_up_arrows_point_up_and_down_arrows_down():
    assert heavier_half("up") == "top"
    assert heavier_half("down") == "bottom"


def test_out_arrows_point_away_from_the_middle():
    surface = pygame.Surface(SIZE)
    face = FaceMap(surface.get_rect())
    face.draw(surface, "cheeks", "out", "left")  # the screen-left cheek: arrows go further left
    arrows = arrow_pixels(surface)
    outer = arrows.get_bounding_rects()[0]
    cheek = pygame.mask.from_threshold(surface, FILL, (1, 1, 1, 255)).get_bounding_rects()[0]
    assert outer.left < cheek.left  # the arrow reaches past the cheek, outwards


def test_the_drawing_scales_with_its_rectangle():
    small = pygame.Surface((200, 260))
    large = pygame.Surface((800, 1040))
    areas = []
    for surface in (small, large):
        FaceMap(surface.get_rect()).draw(surface, "chin", "still")
        areas.append(pygame.mask.from_threshold(surface, FILL, (1, 1, 1, 255)).count())
    assert 10 < areas[1] / areas[0] < 22  # 16x the pixels for 4x the size, give or take edges


def test_the_map_keeps_its_shape_in_a_wide_box():
    face = FaceMap(pygame.Rect(0, 0, 1000, 260))
    assert face.box.height == pytest.approx(260, abs=1)
    assert face.box.width == pytest.approx(260 / UNIT_HEIGHT, abs=1)
    assert face.box.centerx == pytest.approx(500, abs=1)


def test_nothing_is_drawn_outside_the_rectangle():
    surface = pygame.Surface((900, 900))
    rect = pygame.Rect(300, 200, 300, 390)
    FaceMap(rect).draw(surface, "whole_face", "circles")
    lit = pygame.mask.from_threshold(surface, (0, 0, 0), (1, 1, 1, 255))
    lit.invert()
    assert rect.inflate(2, 2).contains(
        lit.get_bounding_rects()[0].unionall(lit.get_bounding_rects())
    )


def test_several_areas_light_together():
    both, _, _ = glow(("cheeks", "neck"))  # type: ignore[arg-type] -- a tuple of areas
    cheeks, _, _ = glow("cheeks")
    neck, _, _ = glow("neck")
    assert both.count() == cheeks.count() + neck.count() - cheeks.overlap_area(neck, (0, 0))
