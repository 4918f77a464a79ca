"""The docs stay true to the code: every key, command, area and stroke is documented, and
the architecture page names only what exists."""

import importlib.util
import re
from pathlib import Path

import pytest

from device.cli.main import build_parser
from device.config.schema import SCHEMA
from device.core import routine

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
ROUTINES_README = (ROOT / "routines" / "README.md").read_text(encoding="utf-8")


def config_table(section: str) -> str:
    """The README's table for one config section, generated from the schema."""
    rows = [
        f"| `{name}` | `{kind.toml(kind.default)}` | {kind.help} |"
        for name, kind in SCHEMA[section].items()
    ]
    header = ["| key | default | what it does |", "|---|---|---|"]
    return "\n".join([f"**`[{section}]`**", "", *header, *rows]) + "\n"


@pytest.mark.parametrize("section", SCHEMA)
def test_every_config_key_is_in_the_readme_table(section):
    """Key, default and help exactly as the schema has them, nothing more (a blank line
    ends the table); on failure, paste the table the message shows."""
    assert config_table(section) + "\n" in README, (
        f"README.md should have:\n{config_table(section)}"
    )


def test_every_command_is_in_the_readme():
    commands = build_parser()._subparsers._group_actions[0].choices
    for name in commands:
        assert re.search(rf"^\| `{name}\b", README, flags=re.M), name


def test_the_two_commands_and_ci_agree():
    assert "make demo" in README and "make test" in README
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^demo:", makefile, flags=re.M) and re.search(r"^test:", makefile, flags=re.M)


def guide_rows(heading: str) -> dict[str, str]:
    """The routine guide's table under ``### heading``: first cell (unquoted) -> the row."""
    section = ROUTINES_README.split(f"### {heading}\n", 1)[1].split("\n#", 1)[0]
    rows = re.findall(r"^\| `([^`]+)` \|(.*)$", section, flags=re.M)
    return dict(rows)


def quoted(text: str) -> set[str]:
    return set(re.findall(r"`([^`]+)`", text))


def test_every_routine_setting_has_its_own_row_in_the_routine_guide():
    """Each key in exactly the table of where it may go, and no row for a key that is not."""
    defaults = guide_rows("In `[defaults]` and in each step")
    step = guide_rows("Only in a step")
    top = guide_rows("At the top of the file")
    assert set(top) == set(routine._TOP_KEYS) - {"defaults", "step"}
    assert set(defaults) == set(routine._DEFAULT_KEYS)
    assert set(step) == set(routine._STEP_KEYS) - set(routine._DEFAULT_KEYS) - {"cue"} | {
        "[[step.cue]]"
    }
    assert quoted(step["[[step.cue]]"]) >= set(routine._CUE_KEYS)
    assert "`[defaults]`" in ROUTINES_README


def test_the_routine_guide_lists_exactly_the_areas_strokes_and_sounds():
    rows = guide_rows("In `[defaults]` and in each step")
    assert quoted(rows["area"]) == set(routine.AREAS)  # the default is an area too
    assert quoted(rows["stroke"]) == set(routine.STROKES)
    cue = guide_rows("Only in a step")["[[step.cue]]"]
    assert quoted(cue) - set(routine._CUE_KEYS) - {'"20s"', '"halfway"'} == set(routine.SOUNDS)


def test_the_routine_guide_lists_exactly_the_fill_ins():
    section = ROUTINES_README.split("### Words that fill themselves in\n", 1)[1].split("\n#")[0]
    written = re.findall(r"^\| `\{(\w+)\}` \|", section, flags=re.M)
    assert sorted(written) == sorted({*routine.FILL_INS, "side", "other"})


def test_readme_screenshots_exist():
    for image in re.findall(r'src="(docs/screenshots/[\w.-]+\.png)"', README):
        assert (ROOT / image).is_file(), image


def code_names() -> set[str]:
    """Every module, folder, class, function, method, constant and enum member in device/."""
    names = {path.stem for path in (ROOT / "device").rglob("*.py")}
    names |= {path.name for path in (ROOT / "device").iterdir() if path.is_dir()}
    for path in (ROOT / "device").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(r"^\s*(?:def|class)\s+(\w+)", text, re.MULTILINE))
        names |= set(re.findall(r"^\s*(\w+)\s*(?::[^=\n]*)?=", text, re.MULTILINE))
        names |= set(re.findall(r"\.(\w+) = ", text))  # device.when_activated = ...
    return names


def test_every_name_on_the_architecture_page_is_in_the_code():
    """docs/architecture.md names real functions: a rename that forgets it fails here."""
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    names = code_names()
    modules = {path.stem for path in (ROOT / "device").rglob("*.py")}
    missing = []
    for quoted in re.findall(r"`([^`]+)`", page):
        token = quoted.split("(")[0].removesuffix("/")
        if token.endswith(".py") and "/" not in token:
            missing += [] if (ROOT / "device" / token).exists() else [quoted]
            continue
        if not re.fullmatch(r"[A-Za-z_][\w.]*", token):
            continue
        parts = token.split(".")
        if parts[0] not in modules and importlib.util.find_spec(parts[0]) is not None:
            continue  # the standard library's (queue.SimpleQueue)
        missing += [f"{quoted}: {part}" for part in parts if part not in names]
    paths = re.findall(r"`((?:device|tests)/[\w/.]*)`", page)
    missing += [path for path in paths if not (ROOT / path).exists()]
    assert missing == []
