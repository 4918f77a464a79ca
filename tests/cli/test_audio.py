"""massage-timer say / voices / warm, run through the real CLI entry point."""

from __future__ import annotations

import os

from device.cli.audio import Progress
from device.cli.main import main
from tests.audio_helpers import ROUTINE_TOML, onsets, use_disk_audio


def _setup(tmp_path):
    routines = tmp_path / "routines"
    routines.mkdir()
    (routines / "audio-test.toml").write_text(ROUTINE_TOML)
    config = tmp_path / "config.toml"
    config.write_text(f'[audio]\ncache = "{tmp_path / "cache"}"\n')
    return ["--config", str(config), "--routines", str(routines)]


def test_warm_renders_the_library_then_finds_it_cached(tmp_path, capsys):
    args = _setup(tmp_path)
    assert main([*args, "warm"]) == 0
    first = capsys.readouterr().err
    assert "0 failed" in first
    assert "[" not in first and "\r" not in first  # not a terminal: lines, not a bar
    lines = first.splitlines()
    # 9 phrases of the routine, its "has an error" announcement and the one for a new
    # broken file, each over 10 %
    tenths = [i for i in range(1, 12) if 10 * i // 11 > 10 * (i - 1) // 11]
    assert lines[:-1] == [f"rendered {i}/11 phrases" for i in tenths]
    rendered = sorted((tmp_path / "cache").glob("*.wav"))
    assert len(rendered) == 11
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
    espeak = [line.split() for line in lines if line.startswith("espeak ")]
    assert len(espeak) > 20 and any(words[1].endswith("/en") for words in espeak)


def _read_all(leader: int) -> str:
    """Everything written to the pty: one read may return only part of it."""
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the terminal side is closed and drained
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return b"".join(chunks).decode()


def test_progress_draws_a_bar_on_a_terminal_and_tenths_elsewhere(tmp_path):
    leader, follower = os.openpty()  # a real terminal, as over SSH
    with os.fdopen(follower, "w") as terminal:
        bar = Progress(terminal)
        for done in range(1, 51):  # 50 short redraws fit in the terminal's buffer
            bar(done, 50, "phrase")
        bar.finish()
    drawn = _read_all(leader)
    assert drawn.count("\r[") == 50 and "[" + "#" * 30 + "] 50/50" in drawn
    with open(tmp_path / "log", "w") as log:
        lines = Progress(log)
        for done in range(1, 201):
            lines(done, 200, "phrase")
        lines.finish()
    logged = (tmp_path / "log").read_text().splitlines()
    assert logged == [f"rendered {20 * i}/200 phrases" for i in range(1, 11)]
