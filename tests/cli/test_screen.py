"""``massage-timer screenshot``: any moment of any routine as a PNG, with no display."""

from pathlib import Path

import pygame
import pytest

from device.cli.main import main

ROUTINES = str(Path(__file__).resolve().parents[2] / "routines")


def shoot(tmp_path: Path, *args: str) -> tuple[int, pygame.Surface | None]:
    out = tmp_path / "shot.png"
    code = main(["--routines", ROUTINES, "screenshot", *args, str(out)])
    return code, pygame.image.load(str(out)) if out.exists() else None


def lit(image: pygame.Surface) -> int:
    black = pygame.transform.threshold(None, image, (0, 0, 0), (1, 1, 1, 255), set_behavior=0)
    return image.get_width() * image.get_height() - black


def test_renders_a_step_at_a_moment(tmp_path):
    code, image = shoot(
        tmp_path, "--routine", "demo", "--step", "2", "--at", "5", "--size", "640x400"
    )
    assert code == 0
    assert image.get_size() == (640, 400)
    assert lit(image) > 2000


def test_two_moments_of_a_step_differ(tmp_path):
    _, early = shoot(tmp_path, "--routine", "demo", "--step", "2", "--at", "1")
    _, late = shoot(tmp_path, "--routine", "demo", "--step", "2", "--at", "15")
    assert pygame.image.tobytes(early, "RGB") != pygame.image.tobytes(late, "RGB")


def test_renders_the_idle_view_with_a_program(tmp_path):
    code, image = shoot(
        tmp_path, "--idle", "--routine", "demo", "--program", "face-yoga-20-weeks", "--day", "60"
    )
    assert code == 0
    assert image.get_size() == (800, 480)
    assert lit(image) > 1000


def test_portrait_sizes_work(tmp_path):
    code, image = shoot(tmp_path, "--routine", "demo", "--step", "3", "--size", "480x800")
    assert code == 0 and image.get_size() == (480, 800)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--routine", "demo", "--step", "9"], "--step must be 1 to 4"),
        (["--routine", "demo", "--step", "2", "--at", "99"], "--at must be 0 to 20"),
        (["--routine", "nope"], "no routine named 'nope'"),
        (["--routine", "demo", "--size", "big"], "--size must look like 800x480"),
    ],
)
def test_mistakes_get_a_clear_message(tmp_path, capsys, args, message):
    code, image = shoot(tmp_path, *args)
    assert code == 1 and image is None
    assert message in capsys.readouterr().err
