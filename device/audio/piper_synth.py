"""The Piper renderer process: ``python -m device.audio.piper_synth MODEL PACE LEVEL THREADS``.

It speaks synth.py's line protocol (``Renderer`` is the daemon's end of both). It runs at
low priority (``os.nice``) with onnxruntime's threads pinned, so a background render
never takes the CPU from the live path, and onnxruntime's default thread pool (one per
core) cannot collapse on a machine that is busy with something else.
"""

from __future__ import annotations

import json
import os
import sys
import wave
from pathlib import Path

from device.audio.synth import PARENT, die_with_parent, serve

NICE = 10  # added to the child's niceness: the daemon's own threads come first
SENTENCE_GAP = 0.3  # seconds of silence between sentences (Piper joins them with none)


class PiperSynthesizer:
    """A Piper voice loaded once, saving phrases at one pace and peak level."""

    def __init__(self, model: str, pace: float, level: float, threads: int) -> None:
        import onnxruntime
        from piper import PiperVoice, SynthesisConfig
        from piper.config import PiperConfig

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        config = json.loads(Path(f"{model}.json").read_text(encoding="utf-8"))
        session = onnxruntime.InferenceSession(
            model, sess_options=options, providers=["CPUExecutionProvider"]
        )
        self.voice = PiperVoice(config=PiperConfig.from_dict(config), session=session)
        # Piper scales each sentence to its own peak; volume then sets that peak.
        self.settings = SynthesisConfig(length_scale=pace, volume=level, normalize_audio=True)

    def save(self, text: str, path: str, redone: list[str]) -> str:
        """Render ``text`` to ``path``: "" when done, else what went wrong."""
        chunks = list(self.voice.synthesize(text, self.settings))
        if not chunks:
            return "piper produced no audio"
        rate = chunks[0].sample_rate
        gap = bytes(2 * int(SENTENCE_GAP * rate))
        with wave.open(path, "wb") as wav:
            wav.setframerate(rate)
            wav.setsampwidth(chunks[0].sample_width)
            wav.setnchannels(chunks[0].sample_channels)
            wav.writeframes(gap.join(chunk.audio_int16_bytes for chunk in chunks))
        return ""


def main(argv: list[str]) -> int:
    """``MODEL PACE LEVEL THREADS``: serve requests from stdin until it closes."""
    if os.environ.get(PARENT, "").isdigit():
        die_with_parent(int(os.environ[PARENT]))
    try:
        os.nice(NICE)
    except OSError as error:  # a sandbox that forbids even lowering it: render anyway
        print(f"piper_synth: cannot lower the priority: {error}", file=sys.stderr)
    model, pace, level, threads = argv[0], float(argv[1]), float(argv[2]), int(argv[3])
    replies = sys.stdout
    sys.stdout = sys.stderr  # nothing a library prints may mix with the replies
    serve(lambda: PiperSynthesizer(model, pace, level, threads), sys.stdin, replies)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
