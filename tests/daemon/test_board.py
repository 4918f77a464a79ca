"""Gestures from edges (pure, on a fake timeline) and the gpiozero board on MockFactory pins."""

from __future__ import annotations

import pytest

from device.clock import FakeClock
from device.config.schema import ButtonsConfig, Config
from device.core.gestures import GestureDecoder
from device.daemon.board import Board, press_pin
from device.daemon.inbox import Edge, Event, Motion
from device.daemon.wiring import decoder_for


def edges(decoder: GestureDecoder, *script: tuple[str, bool, float]) -> list:
    out = []
    for button, pressed, t in script:
        out += decoder.edge(button, pressed, t)
    return out


def test_a_short_press_is_a_press_on_release():
    decoder = GestureDecoder(hold=1.0, bounce=0.05)
    assert decoder.edge("play", True, 10.0) == []
    assert decoder.edge("play", False, 10.2) == [("play", "press")]


def test_a_hold_fires_at_hold_time_while_still_down_and_release_adds_nothing():
    decoder = GestureDecoder(hold=1.0)
    decoder.edge("next", True, 10.0)
    assert decoder.next_deadline() == 11.0
    assert decoder.tick(10.99) == []
    assert decoder.tick(11.0) == [("next", "hold")]
    assert decoder.next_deadline() is None
    assert decoder.edge("next", False, 12.5) == []


def test_a_late_loop_still_reads_a_long_press_as_a_hold():
    decoder = GestureDecoder(hold=1.0)
    assert edges(decoder, ("play", True, 0.0), ("play", False, 1.4)) == [("play", "hold")]


def test_contact_noise_is_ignored():
    decoder = GestureDecoder(hold=1.0, bounce=0.05)
    glitch = edges(decoder, ("play", True, 0.0), ("play", False, 0.01))
    assert glitch == []
    # a release that bounces closed again right away is not a second press
    presses = edges(decoder, ("play", True, 1.0), ("play", False, 1.2), ("play", True, 1.21))
    assert presses == [("play", "press")]
    assert edges(decoder, ("play", False, 1.22)) == []


def test_double_edges_from_lgpio_do_not_double_the_gesture():
    decoder = GestureDecoder()
    script = [
        ("play", True, 0.0),
        ("play", True, 0.001),
        ("play", False, 0.3),
        ("play", False, 0.3),
    ]
    assert edges(decoder, *script) == [("play", "press")]


def test_buttons_are_independent():
    decoder = GestureDecoder(hold=1.0)
    decoder.edge("play", True, 0.0)
    decoder.edge("repeat", True, 0.5)
    assert decoder.edge("repeat", False, 0.7) == [("repeat", "press")]
    assert decoder.tick(1.0) == [("play", "hold")]


def test_single_button_press_double_and_hold():
    decoder = GestureDecoder(hold=1.0, double=0.4, single_button=True)
    assert edges(decoder, ("play", True, 0.0), ("play", False, 0.1)) == []
    assert decoder.next_deadline() == pytest.approx(0.5)
    assert decoder.tick(0.5) == [("play", "press")]
    script = [("play", True, 1.0), ("play", False, 1.1), ("play", True, 1.3), ("play", False, 1.4)]
    assert edges(decoder, *script) == [("play", "double")]
    decoder.edge("play", True, 3.0)
    assert decoder.tick(4.0) == [("play", "hold")]


def test_decoder_takes_its_timing_from_the_config():
    decoder = decoder_for(ButtonsConfig(hold=2.0, bounce=0.1, double=0.3, single_button=True))
    assert (decoder.hold, decoder.bounce, decoder.double, decoder.single_button) == (
        2.0,
        0.1,
        0.3,
        True,
    )


@pytest.fixture
def board_with(mock_factory):
    """Opens a Board on the mock pins with config ``sections``; closes each in ``finally``."""
    boards: list[Board] = []

    def open_board(**sections):
        config = Config().replaced(**sections)
        events: list[Event] = []
        clock = FakeClock(50.0)
        board = Board(config, events.append, clock)
        boards.append(board)
        board.start()
        return board, events, clock

    try:
        yield open_board
    finally:
        for board in boards:
            board.close()


def test_board_callbacks_only_report_edges_with_the_time(board_with, mock_factory):
    board, events, clock = board_with(buttons={"next": 5})
    press_pin(mock_factory, 5, True)
    clock.advance(0.3)
    press_pin(mock_factory, 5, False)
    press_pin(mock_factory, 17, True)
    assert events == [
        Edge("next", True, 50.0),
        Edge("next", False, 50.3),
        Edge("play", True, 50.3),
    ]
    assert board.pins == {"play": 17, "next": 5, "repeat": 22}


def test_board_passes_the_bounce_time_to_gpiozero(board_with, mock_factory):
    board_with(buttons={"bounce": 0.08})
    assert mock_factory.pin(17).bounce == pytest.approx(0.08)
    assert mock_factory.pin(17).pull == "up"


def test_single_button_mode_opens_only_play(board_with):
    board, _, _ = board_with(buttons={"single_button": True})
    assert list(board.pins) == ["play"]


def test_pir_reports_motion_and_quiet(board_with, mock_factory):
    _, events, _ = board_with(motion={"enabled": True, "pin": 4})
    mock_factory.pin(4).drive_high()
    mock_factory.pin(4).drive_low()
    assert events == [Motion(True, 50.0), Motion(False, 50.0)]


def test_led_is_steady_running_breathing_paused_off_idle(board_with, mock_factory):
    board, _, _ = board_with(led={"enabled": True, "pin": 18})
    board.show_state("running")
    assert mock_factory.pin(18).state == 1
    board.show_state("paused")
    assert board.led._blink_thread is not None  # gpiozero breathes it in a thread
    board.show_state("idle")
    assert mock_factory.pin(18).state == 0


def test_a_board_without_gpio_runs_on_without_buttons(monkeypatch, caplog):
    from gpiozero import Device

    class NoPins:
        def __getattr__(self, name):
            raise RuntimeError("no GPIO here")

    monkeypatch.setattr(Device, "pin_factory", NoPins())
    board = Board(Config(), lambda *e: None, FakeClock())
    board.start()
    assert board.devices == {}
    assert "buttons disabled" in caplog.text


def test_one_device_that_fails_leaves_the_others_working(board_with, mock_factory, caplog):
    from gpiozero import DigitalInputDevice

    squatter = DigitalInputDevice(27)  # something else already holds NEXT's pin
    try:
        sections = {"motion": {"enabled": True, "pin": 4}, "led": {"enabled": True, "pin": 18}}
        board, events, _ = board_with(**sections)
        assert sorted(board.devices) == ["motion", "play", "repeat"]
        assert board.led is not None
        assert "next" not in board.pins
        assert "button 'next' (GPIO27) unavailable" in caplog.text
        assert "buttons disabled" not in caplog.text
        press_pin(mock_factory, 22, True)
        assert (events[-1].button, events[-1].pressed) == ("repeat", True)
    finally:
        squatter.close()
