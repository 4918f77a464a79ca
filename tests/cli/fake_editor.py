"""A scripted stand-in for $EDITOR in the `massage-timer edit` tests.

Each run takes the next step of the JSON list in $FAKE_EDITOR_STEPS and applies it to
the file it is given: ``{"replace": [old, new]}``, ``{"write": text}``, ``{"exit": n}``
(fail without saving) or ``{}`` (quit without saving); ``"meanwhile": [path, text]``
also writes another file, as someone else saving it during the edit. What it was
shown is appended to $FAKE_EDITOR_SEEN as one JSON line per run, for the test to read.
"""

import json
import os
import sys
from pathlib import Path

path = Path(sys.argv[1])
steps_file = Path(os.environ["FAKE_EDITOR_STEPS"])
steps = json.loads(steps_file.read_text())
step = steps.pop(0) if steps else {}
steps_file.write_text(json.dumps(steps))
text = path.read_text(encoding="utf-8")
with open(os.environ["FAKE_EDITOR_SEEN"], "a", encoding="utf-8") as seen:
    seen.write(json.dumps({"path": str(path), "text": text}) + "\n")
if "meanwhile" in step:
    Path(step["meanwhile"][0]).write_text(step["meanwhile"][1], encoding="utf-8")
if "exit" in step:
    sys.exit(step["exit"])
if "replace" in step:
    old, new = step["replace"]
    assert old in text, f"{old!r} is not in the file"
    path.write_text(text.replace(old, new), encoding="utf-8")
elif "write" in step:
    path.write_text(step["write"], encoding="utf-8")
