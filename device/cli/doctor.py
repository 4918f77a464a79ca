"""Sub-commands for the owner of a Pi: doctor and audio-devices.

``doctor`` looks at everything the service needs with the service's own settings (the
unit's SDL and gpiozero environment) and prints one screen; exit 1 when something is
wrong, each problem with its fix.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path

from device import __version__
from device.cli import probes
from device.cli.probes import Finding
from device.cli.routines import configured
from device.config.loading import load_forgiving
from device.config.schema import SCHEMA, Config
from device.core.tomlsource import read_source
from device.exc import InvalidFileError


def register(commands: argparse._SubParsersAction) -> None:
    doctor = commands.add_parser("doctor", help="check buttons, audio, display, service, config")
    doctor.add_argument(
        "--all", action="store_true", help="list every config key, not just set ones"
    )
    doctor.set_defaults(run=run_doctor)
    devices = commands.add_parser("audio-devices", help="list the outputs [audio] device can name")
    devices.set_defaults(run=run_audio_devices)


def run_doctor(args: argparse.Namespace) -> int:
    for name, value in probes.service_environment().items():
        os.environ.setdefault(name, value)  # look as the service would
    config = configured(args)
    findings = [
        *_config_findings(config),
        *probes.routines(args, config),
        *probes.buttons(config),
        *probes.audio(config),
        *probes.speech(config),
        *probes.display(config),
        *probes.groups(),
        *probes.service(),
        *probes.running_daemon(config),
    ]
    print(f"massage-timer {__version__} doctor")
    for finding in findings:
        print(_line(finding))
    print("config in effect (key = value  from):")
    for line in effective_config(config, every_key=args.all):
        print(f"  {line}")
    wrong = sum(1 for f in findings if f.fix)
    print(f"{wrong} problem{'s' * (wrong != 1)}" if wrong else "all good")
    return 1 if wrong else 0


def _line(finding: Finding) -> str:
    mark = "FIX" if finding.fix else "ok "
    text = f"{mark} {finding.topic:<9} {finding.text}"
    return f"{text}\n              -> {finding.fix}" if finding.fix else text


def _config_findings(config: Config) -> list[Finding]:
    if not config.path:
        return [Finding("config", "no config file: built-in defaults")]
    _, problems = load_forgiving(Path(config.path))
    found = [Finding("config", config.path)]
    return found + [
        Finding("config", str(p), "edit that line; then massage-timer check") for p in problems
    ]


def effective_config(config: Config, every_key: bool = False) -> list[str]:
    """``section.key = value  from`` for every key set in the file (or every key)."""
    lines_of = _key_lines(config.path)
    values = dataclasses.asdict(config)  # {section: {key: value}}
    shown = []
    for section, keys in SCHEMA.items():
        for key in keys:
            line = lines_of.get((section, key))
            if line is None and not every_key:
                continue
            where = f"{config.path}:{line}" if line else "default"
            shown.append(f"{section}.{key} = {values[section][key]!r}  {where}")
    if not every_key:
        shown.append("every other key: its default (doctor --all lists them)")
    return shown


def _key_lines(path: str) -> dict[tuple, int]:
    if not path:
        return {}
    try:
        return read_source(Path(path)).lines
    except InvalidFileError:
        return {}


def run_audio_devices(args: argparse.Namespace) -> int:
    from device.audio.mixer import output_names

    wanted = configured(args).audio.device
    names = output_names()
    for name in names:
        print(f"{'*' if name == wanted else ' '} {name}")
    driver = os.environ.get("SDL_AUDIODRIVER") or "SDL's choice of driver"
    if not names:
        print(f"no outputs ({driver}); `aplay -l` lists the kernel's sound cards", file=sys.stderr)
        return 1
    print(f'{driver}; pick one with [audio] device = "..."', file=sys.stderr)
    return 0
