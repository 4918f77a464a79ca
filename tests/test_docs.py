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


def test_every_routine_setting_area_and_stroke_is_in_the_routine_guide():
    keys = {*routine._TOP_KEYS, *routine._STEP_KEYS, *routine._CUE_KEYS} - {
        "step",
        "cue",
        "defaults",
    }
    assert "`[defaults]`" in ROUTINES_README
    for key in keys:
        assert f"`{key}`" in ROUTINES_README, key
    for name in (*routine.AREAS, *routine.STROKES, *routine.SOUNDS):
        assert f"`{name}`" in ROUTINES_README or name in ROUTINES_README, name
    for fill_in in (*routine.FILL_INS, "side", "other"):
        assert f"`{{{fill_in}}}`" in ROUTINES_README, fill_in


def test_readme_screenshots_exist():
    for image in re.findall(r'src="(docs/screenshots/[\w.-]+\.png)"', README):
        assert (ROOT / image).is_file(), image
