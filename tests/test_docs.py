"""The READMEs stay true to the code: every key, command, area and stroke is documented."""

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
