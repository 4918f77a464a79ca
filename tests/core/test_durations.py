"""Durations in and out: parse_duration, the clock and short forms, numbers in words."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from device.core.durations import (
    format_clock,
    format_length,
    format_short,
    number_words,
    parse_duration,
    say_duration,
)


@pytest.mark.parametrize(
    ("written", "seconds"),
    [
        (90, 90.0),
        (1.5, 1.5),
        ("90", 90.0),
        ("2.5", 2.5),
        ("45s", 45.0),
        ("1m", 60.0),
        ("1m30s", 90.0),
        ("1m 30s", 90.0),
        (" 20s ", 20.0),
        ("1h", 3600.0),
        ("1h2m3s", 3723.0),
        ("0s", 0.0),
        ("0.5s", 0.5),
    ],
)
def test_parse_duration_accepts_human_forms(written, seconds):
    assert parse_duration(written) == seconds


@pytest.mark.parametrize(
    "written", ["", " ", "s", "m", "1x", "1m30", "30s1m", "-5s", "1,5s", "ten", True, None, [1]]
)
def test_parse_duration_rejects_everything_else(written):
    with pytest.raises(ValueError):
        parse_duration(written)


def test_parse_duration_survives_integers_too_big_for_a_float():
    assert parse_duration(10**400) == math.inf
    assert parse_duration(-(10**400)) == -math.inf


@given(st.integers(0, 7200))
@settings(max_examples=60, deadline=None)
def test_format_short_round_trips_through_parse_duration(seconds):
    assert parse_duration(format_short(seconds)) == seconds


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (45, "45s"), (60, "1m"), (90, "1m30s"), (65, "1m05s"), (0.05, "0.05s")],
)
def test_format_short(seconds, text):
    assert format_short(seconds) == text


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0:00"), (0.01, "0:01"), (59.5, "1:00"), (60, "1:00"), (-3, "0:00")]
)
def test_format_clock_rounds_up_so_zero_means_done(seconds, text):
    assert format_clock(seconds) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0:00.0"), (12.5, "0:12.5"), (0.3, "0:00.3"), (59.96, "1:00.0"), (65.5, "1:05.5")],
)
def test_format_clock_with_tenths_for_cue_offsets(seconds, text):
    assert format_clock(seconds, decimals=1) == text


@pytest.mark.parametrize(("seconds", "text"), [(240, "4 min"), (270, "4 min 30 s"), (45, "45 s")])
def test_format_length(seconds, text):
    assert format_length(seconds) == text


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "zero"),
        (7, "seven"),
        (13, "thirteen"),
        (20, "twenty"),
        (42, "forty-two"),
        (100, "one hundred"),
        (120, "one hundred and twenty"),
        (999, "nine hundred and ninety-nine"),
    ],
)
def test_number_words(n, words):
    assert number_words(n) == words


@pytest.mark.parametrize(
    ("seconds", "spoken"),
    [
        (1, "one second"),
        (45, "forty-five seconds"),
        (60, "one minute"),
        (90, "one minute thirty"),
        (240, "four minutes"),
        (7200, "one hundred and twenty minutes"),
    ],
)
def test_say_duration(seconds, spoken):
    assert say_duration(seconds) == spoken


@pytest.mark.parametrize(
    ("text", "seconds"), [("80ms", 0.08), ("1s500ms", 1.5), ("1m30s", 90.0), ("250ms", 0.25)]
)
def test_milliseconds_are_accepted_for_short_settings_like_debounce(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["ms", "5mss", "80 millis"])
def test_malformed_milliseconds_are_rejected(text):
    with pytest.raises(ValueError):
        parse_duration(text)
