"""``massage-timer``: argparse sub-commands, each returning an exit code.

Each group of commands is a module of this folder that adds its own sub-parsers,
so the routine, audio, display and daemon parts stay apart.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from device import __version__
from device.cli import audio, daemon, doctor, edit, progress, routines, screen, system
from device.exc import MassageTimerError

COMMAND_GROUPS = (routines, edit, audio, daemon, progress, screen, doctor, system)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="massage-timer",
        description="A hands-free guided facial-massage timer for a Raspberry Pi.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _add_common(parser, after_command=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for group in COMMAND_GROUPS:
        group.register(commands)
    for command in commands.choices.values():
        # Also after the command (`massage-timer run --config X`); SUPPRESS keeps a value
        # given before it when none is given after.
        _add_common(command, after_command=True)
    return parser


def _add_common(parser: argparse.ArgumentParser, after_command: bool) -> None:
    """--debug, --config and --routines, which work before or after the command."""
    unset = argparse.SUPPRESS if after_command else None
    debug_unset = argparse.SUPPRESS if after_command else False
    parser.add_argument("--debug", action="store_true", default=debug_unset, help="tracebacks")
    parser.add_argument("--config", metavar="PATH", default=unset, help="config file")
    parser.add_argument("--routines", metavar="DIR", default=unset, help="routines folder")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO,
        # On a terminal, clear a live progress line first so a log line never joins it.
        format=("\r\033[K" if sys.stderr.isatty() else "") + "%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `massage-timer show x | head` is not an error
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - stays open until exit
        return 0
    except (MassageTimerError, OSError) as error:
        if args.debug:
            raise
        print(f"massage-timer: error: {error}", file=sys.stderr)
        return 1
