"""Once: each problem logged once per key, and again after it was forgotten."""

from __future__ import annotations

import logging

from device.once import Once

log = logging.getLogger("tests.once")


def warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "tests.once"]


def test_each_key_is_logged_once(caplog):
    once = Once(log)
    assert once.warn("lost", "audio lost") is True
    assert once.warn("lost", "audio lost again") is False
    assert once.warn("device", "no device") is True
    assert warnings(caplog) == ["audio lost", "no device"]
    assert all(r.levelno == logging.WARNING for r in caplog.records)


def test_a_forgotten_problem_is_news_again(caplog):
    once = Once(log)
    once.warn("lost", "audio lost")
    assert once.forget("lost", "never-said") is True
    assert once.forget("lost") is False
    once.warn("lost", "audio lost")
    assert warnings(caplog) == ["audio lost", "audio lost"]
