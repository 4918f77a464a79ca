"""The Screen output on SDL's dummy driver: what it draws, when, and what it leaves alone."""

import logging
import os
from pathlib import Path

import pygame
import pytest

from device.clock import FakeClock
from device.config.schema import Config
from device.core.catalog import load_catalog
from device.core.controller import Controller
from device.core.session import Sound
from device.core.timeline import plan
from device.core.view import IdleView, RoutineView
from device.display.screen import Screen, logical_size, panel_rect, render
from device.display.text import Fonts

ROUTINES = Path(__file__).resolve().parents[2] / "routines"
REFERENCE = Path(__file__).resolve().parents[1] / "data" / "reference"
UPDATE = os.environ.get("MASSAGE_TIMER_UPDATE_REFERENCE") == "1"
REFERENCE_ROUTINE = """
title = "Reference routine"
[[step]]
name = "Apply oil"
say = "Warm a few drops of oil between your palms. Press play when you are ready."
wait = true
[[step]]
name = "Cheek sweeps"
say = "Sweep slowly out along the cheekbone to your ear. One sweep for each count."
duration = "40s"
area = "cheeks"
stroke = "out"
sides = true
reps = 4
[[step]]
name = "Neck strokes"
say = "Stroke down the sides of your neck to your collarbones."
duration = "30s"
area = "neck"
stroke = "down"
"""


def config(**display) -> Config:
    return Config().replaced(display={"width": 480, "height": 320, **display})


@pytest.fixture
def screens():
    """Screens made by a test, stopped afterwards whatever happens."""
    made = []

    def make(headless=False, **display):
        screen = Screen(config(**display), headless=headless)
        made.append(screen)
        screen.start()
        return screen

    yield make
    for screen in made:
        screen.stop()


@pytest.fixture(scope="module")
def demo():
    return plan(load_catalog([ROUTINES]).routines["demo"])


def black(surface: pygame.Surface) -> bool:
    return pygame.transform.threshold(None, surface, (0, 0, 0), (1, 1, 1, 255), set_behavior=0) == (
        surface.get_width() * surface.get_height()
    )


def test_draws_a_running_step_and_asks_again_at_the_next_whole_second(screens, demo):
    screen = screens()
    assert screen.window.get_size() == (480, 320)
    view = RoutineView.of(demo, 2, "running", 4.6)  # 15.4 s left
    assert screen.show(view, 100.0) == pytest.approx(100.401, abs=1e-6)
    assert not black(screen.last_frame)
    assert pygame.image.tobytes(screen.window, "RGB") == pygame.image.tobytes(
        screen.last_frame, "RGB"
    )


def test_counted_reps_ask_for_a_redraw_when_the_count_changes(screens, demo):
    screen = screens()
    view = RoutineView.of(demo, 1, "running", 3.0)  # 10 s a side, 3 reps: next rep at 3.33 s
    assert screen.show(view, 50.0) == pytest.approx(50.0 + 1 / 3 + 0.001, abs=1e-6)


@pytest.mark.parametrize("state", ["paused", "waiting", "done"])
def test_still_states_need_no_redraw(screens, demo, state):
    assert screens().show(RoutineView.of(demo, 2, state, 4.6), 10.0) is None


def test_redraws_only_what_changed(screens, demo):
    screen = screens()
    screen.show(RoutineView.of(demo, 2, "running", 4.6), 10.0)
    frames = screen.frames
    screen.show(RoutineView.of(demo, 2, "running", 4.7), 10.1)  # the same second: nothing
    assert screen.frames == frames
    face = screen.painter.box["face"]
    screen.window.set_at(face.center, (1, 2, 3))  # a marker a partial redraw must not touch
    screen.show(RoutineView.of(demo, 2, "running", 5.7), 11.1)
    assert screen.frames == frames + 1
    assert screen.window.get_at(face.center)[:3] == (1, 2, 3)
    screen.show(RoutineView.of(demo, 3, "running", 0.5), 20.0)  # a new step: everything
    assert screen.window.get_at(face.center)[:3] != (1, 2, 3)


def test_the_idle_screen_goes_black_after_the_wake_time(screens):
    screen = screens()
    clock = FakeClock()
    controller = Controller(load_catalog([ROUTINES]).routines, "demo", wake_seconds=60)
    controller.wake(clock.now())
    assert screen.show(controller.view(clock.now()), clock.now()) is None
    assert not black(screen.window)
    clock.advance(59)
    assert controller.view(clock.now()).awake
    clock.advance(2)
    asleep = controller.view(clock.now())
    assert not asleep.awake
    screen.show(asleep, clock.now())
    assert black(screen.window) and black(screen.last_frame)
    frames = screen.frames
    clock.advance(3600)
    screen.show(controller.view(clock.now()), clock.now())
    assert screen.frames == frames  # dark and idle: nothing drawn at all


@pytest.mark.parametrize("rotation", ["90", "180", "270"])
def test_rotation_turns_the_picture_for_the_panel(screens, demo, rotation):
    screen = screens(rotation=rotation)
    turned = int(rotation)
    assert screen.last_frame.get_size() == logical_size((480, 320), turned)
    for elapsed in (4.6, 5.6):  # a full frame, then a partial one
        screen.show(RoutineView.of(demo, 2, "running", elapsed), elapsed)
        expected = pygame.transform.rotate(screen.last_frame, -turned)
        assert pygame.image.tobytes(screen.window, "RGB") == pygame.image.tobytes(expected, "RGB")


def test_panel_rect_matches_pygame_rotation():
    upright = pygame.Surface((30, 20))
    rect = pygame.Rect(3, 4, 5, 6)
    upright.fill((255, 0, 0), rect)
    for rotation in (0, 90, 180, 270):
        turned = pygame.transform.rotate(upright, -rotation)
        lit = pygame.mask.from_threshold(turned, (255, 0, 0), (1, 1, 1, 255)).get_bounding_rects()
        assert lit == [panel_rect(rect, (30, 20), rotation)]


def test_headless_draws_nothing(screens, demo):
    screen = screens(headless=True)
    assert screen.window is None and screen.last_frame is None
    assert screen.show(RoutineView.of(demo, 2, "running", 4.6), 1.0) is None
    assert screen.poll_keys(1.0) == []


def test_a_missing_display_is_logged_once_and_never_crashes(screens, demo, monkeypatch, caplog):
    monkeypatch.setenv("SDL_VIDEODRIVER", "no-such-driver")
    with caplog.at_level(logging.WARNING):
        screen = screens()
        for second in range(3):
            assert screen.show(RoutineView.of(demo, 2, "running", second), second) is None
        screen.perform([Sound("tick", 0, 1.0)], 1.0)
    assert [r.message for r in caplog.records].count(caplog.records[0].message) == 1
    assert "no display" in caplog.records[0].message


def test_keys_become_button_gestures(screens):
    screen = screens()

    def key(kind, code, mod=0):
        pygame.event.post(pygame.event.Event(kind, key=code, mod=mod))

    key(pygame.KEYDOWN, pygame.K_SPACE)
    key(pygame.KEYUP, pygame.K_SPACE)
    key(pygame.KEYDOWN, pygame.K_n, pygame.KMOD_LSHIFT)
    assert screen.poll_keys(5.0) == ["play", "next:hold"]
    key(pygame.KEYDOWN, pygame.K_r)
    assert screen.poll_keys(6.0) == []
    key(pygame.KEYUP, pygame.K_r)
    assert screen.poll_keys(7.5) == ["repeat:hold"]  # held 1.5 s, over the 1 s hold time
    key(pygame.KEYDOWN, pygame.K_q)
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    assert screen.poll_keys(8.0) == ["quit"]


def test_a_tempo_tick_flashes_a_mark_that_goes_out(screens, demo):
    screen = screens()
    view = RoutineView.of(demo, 2, "running", 6.0)
    screen.show(view, 106.0)
    tempo = screen.painter.box["tempo"]
    assert black(screen.last_frame.subsurface(tempo))
    screen.perform([Sound("tick", 0, 106.0)], 106.0)
    due = screen.show(view, 106.0)
    assert not black(screen.last_frame.subsurface(tempo))
    assert due == pytest.approx(106.301)
    screen.show(RoutineView.of(demo, 2, "running", 6.3), due)
    assert black(screen.last_frame.subsurface(tempo))


def test_a_framebuffer_gets_each_frame_in_rgb565(screens, demo, tmp_path):
    device = tmp_path / "fb1"
    screen = screens(framebuffer=str(device), width=64, height=48)
    assert screen.window is None
    screen.show(RoutineView.of(demo, 2, "running", 4.6), 1.0)
    data = device.read_bytes()
    assert len(data) == 64 * 48 * 2
    frame = screen.last_frame
    for x, y in [(0, 0), (10, 40), (32, 20), (63, 47)]:
        red, green, blue = frame.get_at((x, y))[:3]
        packed = int.from_bytes(data[(y * 64 + x) * 2 :][:2], "little")
        assert packed == (red >> 3) << 11 | (green >> 2) << 5 | blue >> 3
    screen.stop()
    assert set(device.read_bytes()) == {0}  # stopping leaves a mirror, not a frozen frame


def test_stop_leaves_the_panel_black(screens, demo):
    screen = screens(rotation="90")
    screen.show(RoutineView.of(demo, 2, "running", 4.6), 1.0)
    assert not black(screen.last_frame)
    screen.stop()
    assert black(screen.last_frame)
    assert screen.show(RoutineView.of(demo, 2, "running", 5.6), 2.0) is None


# -- reference images -------------------------------------------------------------


def reference_moments(tmp_path: Path):
    path = tmp_path / "reference.toml"
    path.write_text(REFERENCE_ROUTINE)
    timeline = plan(load_catalog([path]).routines["reference"])
    return {
        "sided-reps": RoutineView.of(timeline, 1, "running", 26.0),
        "waiting": RoutineView.of(timeline, 0, "waiting", 0.0),
        "paused": RoutineView.of(timeline, 2, "paused", 12.0),
        "idle": IdleView(
            True, "Reference routine", 70.0, "Week 9 · Day 58 · 57-day streak · today: rest", 1
        ),
    }


LIMIT = 0.00005  # of the pixels: room for anti-aliasing, not for a changed digit


def difference(a: pygame.Surface, b: pygame.Surface, tolerance: int = 64) -> float:
    """Fraction of pixels whose colour differs by more than ``tolerance`` in any channel."""
    low, high = a.copy(), b.copy()
    low.blit(b, (0, 0), special_flags=pygame.BLEND_RGB_SUB)
    high.blit(a, (0, 0), special_flags=pygame.BLEND_RGB_SUB)
    low.blit(high, (0, 0), special_flags=pygame.BLEND_RGB_ADD)  # |a - b| per channel
    level = (tolerance, tolerance, tolerance, 255)
    same = pygame.transform.threshold(None, low, (0, 0, 0), level, set_behavior=0)
    return 1 - same / (a.get_width() * a.get_height())


@pytest.mark.parametrize("size", [(480, 320), (480, 800)], ids=["480x320", "480x800"])
@pytest.mark.parametrize("name", ["sided-reps", "waiting", "paused", "idle"])
def test_key_screens_match_their_reference_images(tmp_path, name, size):
    """Drawn with pygame's bundled font, so the machine's fonts do not matter.
    After a deliberate change, regenerate them with
    MASSAGE_TIMER_UPDATE_REFERENCE=1 .venv/bin/python -m pytest tests/test_screen.py"""
    view = reference_moments(tmp_path)[name]
    image = render(view, size, True, Fonts(bundled=True))
    path = REFERENCE / f"{name}-{size[0]}x{size[1]}.png"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        pygame.image.save(image, str(path))
    reference = pygame.image.load(str(path))
    assert reference.get_size() == size
    assert difference(image, reference) < LIMIT, f"{path.name} changed; see the docstring"


def test_the_comparison_notices_a_real_change(tmp_path):
    views = reference_moments(tmp_path)
    fonts = Fonts(bundled=True)
    one = render(views["sided-reps"], (480, 320), True, fonts)
    other = render(
        RoutineView(**{**views["sided-reps"].__dict__, "rep": 3}), (480, 320), True, fonts
    )
    assert difference(one, one.copy()) == 0
    assert difference(one, other) > LIMIT  # one digit of the rep counter


def test_a_display_lost_while_running_is_logged_and_dropped(screens, demo, caplog):
    screen = screens()
    screen.show(RoutineView.of(demo, 2, "running", 1.0), 1.0)
    pygame.display.quit()  # as if the panel went away under the daemon
    with caplog.at_level(logging.WARNING):
        for second in (2.0, 3.0, 4.0):
            assert screen.show(RoutineView.of(demo, 2, "running", second), second) is None
    assert len(caplog.records) == 1 and "display failed" in caplog.records[0].message
