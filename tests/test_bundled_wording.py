"""The bundled routines avoid words espeak-ng says the wrong way in this context.

espeak-ng picks one reading of a homograph and rarely the one a massage instruction
means. With oily hands on the face the voice is all the person gets, so the bundled
text says these things with other words.
"""

import re
import tomllib
from pathlib import Path

import pytest

ROUTINES = Path(__file__).resolve().parent.parent / "routines"

# word -> what a routine would mean, and what espeak-ng says instead (its phonemes, from
# `espeak-ng -x "Close your eyes."` and the like)
HOMOGRAPHS = {
    "close": "shut (eyes, lips): espeak-ng says the 'near' word, kl'oUs; write 'shut'",
    "use": "the verb: espeak-ng says the noun, j'u:s, at the start of a sentence; write 'with'",
    "wind": "wind down: espeak-ng says the weather word, w'Ind",
    "bow": "bow your head: espeak-ng says the ribbon word, b'oU",
    "live": "the verb: espeak-ng says the adjective, l'aIv",
    "separate": "the verb (part the lips): espeak-ng says the adjective, s'Ep@-r@t",
}


def spoken_strings(value, key=""):
    """Every string in a routine file that can be said or shown, i.e. all but the sources."""
    if key in ("sources", "tags"):
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for child_key, child in value.items():
            yield from spoken_strings(child, child_key)
    elif isinstance(value, list):
        for child in value:
            yield from spoken_strings(child, key)


BUNDLED = sorted(ROUTINES.rglob("*.toml"))


def test_the_bundled_library_is_found():
    assert len(BUNDLED) >= 10


@pytest.mark.parametrize("path", BUNDLED, ids=lambda path: path.stem)
def test_bundled_text_has_no_misread_homograph(path):
    document = tomllib.loads(path.read_text(encoding="utf-8"))
    found = [
        (word, text)
        for text in spoken_strings(document)
        for word in HOMOGRAPHS
        if re.search(rf"\b{word}\b", text, flags=re.IGNORECASE)
    ]
    assert not found, [f"{word!r} ({HOMOGRAPHS[word]}) in {text!r}" for word, text in found]
