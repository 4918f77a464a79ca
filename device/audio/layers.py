"""Every phrase in the best voice rendered so far.

The first layer is espeak-ng: it renders a whole library in seconds, so an edited
phrase is heard at once. A better engine (Piper) renders the same phrases afterwards,
in the background, into a folder of its own; each phrase plays in the best layer that
has it, so it switches voice the moment its better file is stored (and a phrase the
better engine failed keeps its espeak-ng file).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from device.audio.engines import configured_engines
from device.audio.speech import Engine, SpeechCache
from device.config.paths import cache_folder
from device.config.schema import Config


class SpeechLayers:
    """Speech caches, first layer first; a phrase is read from the last that has it."""

    def __init__(self, layers: Sequence[SpeechCache]) -> None:
        self.layers = tuple(layers)
        self.first, self.better = self.layers[0], self.layers[1:]
        self.folder = self.first.folder

    def cached(self, text: str) -> Path | None:
        """The file ``text`` plays from: the best layer's that is rendered and whole."""
        for layer in reversed(self.layers):
            if path := layer.cached(text):
                return path
        return None

    def length(self, text: str) -> float | None:
        """Seconds the file ``text`` plays from lasts (None: no layer has it)."""
        for layer in reversed(self.layers):
            if (seconds := layer.length(text)) is not None:
                return seconds
        return None

    def prune(self, keep: Iterable[str]) -> int:
        """Delete every layer's phrases no routine uses; return how many were removed."""
        keep = list(keep)
        return sum(layer.prune(keep) for layer in self.layers)


def layer_folder(folder: Path, engine: Engine, index: int) -> Path:
    """The first layer fills the speech folder (as before there were layers); each
    better engine has a folder of its own inside it, which its pruning keeps to."""
    return folder if index == 0 else folder / engine.name


def configured_speech(config: Config) -> SpeechLayers:
    """The speech layers the config names (in the user's cache folder unless it says)."""
    audio = config.audio
    folder = Path(audio.cache) if audio.cache else cache_folder() / "speech"
    engines = configured_engines(config.voice)
    return SpeechLayers(
        [
            SpeechCache(layer_folder(folder, engine, index), engine, audio.cache_mb)
            for index, engine in enumerate(engines)
        ]
    )
