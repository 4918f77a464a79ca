"""Sub-commands: filled in by its issue."""

import argparse


def register(commands: argparse._SubParsersAction) -> None:
    del commands
