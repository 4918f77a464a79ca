"""The built-in sounds are made in code and are gentle; sound files stay in their folder."""

from __future__ import annotations

from array import array

import pytest

from device.audio.sounds import BUILT_IN, PEAK, pcm, resolve_sound, samples

RATE = 22050


@pytest.mark.parametrize("name", BUILT_IN)
def test_each_sound_has_headroom_and_starts_and_ends_softly(name):
    wave = samples(name, RATE)
    peak = max(abs(v) for v in wave)
    assert peak == pytest.approx(PEAK * 32767, rel=0.01)  # never clips, never too hot
    assert abs(wave[0]) < 0.02 * peak  # no click at the start
    assert max(abs(v) for v in wave[-3:]) < 0.02 * peak  # nor at the end


def test_lengths_suit_their_jobs():
    length = {name: len(samples(name, RATE)) / RATE for name in BUILT_IN}
    assert length["tick"] < 0.1 and length["click"] < 0.05  # tempo and feedback are short
    assert 0.1 <= length["beep"] <= 0.2
    assert length["bell"] > 1.0 > length["chime"]


def test_chime_has_died_away_before_the_next_cue_a_second_later():
    wave = samples("chime", RATE)
    tail = wave[int(0.5 * RATE) :]
    assert max(abs(v) for v in tail) < 0.05 * 32767


def test_sounds_differ_from_each_other():
    heads = {name: samples(name, RATE)[:400].tobytes() for name in BUILT_IN}
    assert len(set(heads.values())) == len(BUILT_IN)


def test_stereo_pcm_repeats_each_sample_on_both_channels():
    mono = samples("beep", RATE)
    stereo = array("h", pcm("beep", RATE, 2))
    assert len(stereo) == 2 * len(mono)
    assert stereo[0::2] == mono and stereo[1::2] == mono
    assert pcm("beep", RATE, 1) == mono.tobytes()


def test_a_sound_file_inside_the_folder_resolves(tmp_path):
    (tmp_path / "gong.wav").write_bytes(b"RIFF")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "bird.ogg").write_bytes(b"OggS")
    assert resolve_sound("gong.wav", tmp_path) == (tmp_path / "gong.wav").resolve()
    assert resolve_sound("sub/bird.ogg", tmp_path) == (tmp_path / "sub" / "bird.ogg").resolve()


@pytest.mark.parametrize(
    "name",
    [
        "../secret.wav",
        "/etc/secret.wav",
        "sub/../../secret.wav",
        "link.wav",
        "gong.mp3",
        "missing.wav",
        "",
        ".",
    ],
)
def test_escapes_and_other_files_are_refused(tmp_path, name):
    folder = tmp_path / "sounds"
    folder.mkdir()
    (folder / "sub").mkdir()
    (tmp_path / "secret.wav").write_bytes(b"RIFF")
    (folder / "gong.mp3").write_bytes(b"ID3")
    (folder / "link.wav").symlink_to(tmp_path / "secret.wav")
    assert resolve_sound(name, folder) is None


def test_no_sounds_folder_means_no_files(tmp_path):
    (tmp_path / "gong.wav").write_bytes(b"RIFF")
    assert resolve_sound("gong.wav", "") is None
