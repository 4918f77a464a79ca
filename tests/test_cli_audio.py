"""massage-timer say / voices / warm, run through the real CLI entry point."""

from __future__ import annotations

from device.cli import main
from tests.audio_helpers import ROUTINE_TOML, onsets, use_disk_audio


def _setup(tmp_path):
    routines = tmp_path / "routines"
    routines.mkdir()
    (routines / "audio-test.toml").write_text(ROUTINE_TOML)
    config = tmp_path / "config.toml"
    config.write_text(f'[audio]\ncache = "{tmp_path / "cache"}"\n')
    return ["--config", str(config), "--routines", str(routines)]


def test_warm_renders_the_library_with_progress_then_finds_it_cached(tmp_path, capsys):
    args = _setup(tmp_path)
    assert main([*args, "warm"]) == 0
    first = capsys.readouterr().err
    assert "[" + "#" * 30 + "]" in first and "0 failed" in first
    rendered = sorted((tmp_path / "cache").glob("*.wav"))
    assert len(rendered) >= 8
    assert main([*args, "warm"]) == 0
    assert f"0 rendered, {len(rendered)} already cached" in capsys.readouterr().err


def test_say_plays_through_the_cache_and_the_mixer(tmp_path, monkeypatch):
    out = tmp_path / "say.raw"
    use_disk_audio(monkeypatch, out)
    assert main([*_setup(tmp_path), "say", "Hello", "mirror."]) == 0
    assert len(list((tmp_path / "cache").glob("*.wav"))) == 1
    assert len(onsets(out.read_bytes(), 22050)) == 1


def test_voices_lists_espeak_voices(capsys):
    assert main(["voices"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) > 20 and any(line.split()[0].endswith("/en") for line in lines)
