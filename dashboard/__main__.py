"""Command line: `python -m dashboard generate | build | sql | check`.

Each subcommand lives in its own module, which provides `add_arguments(parser)` and `run(args) -> int`;
only the chosen one is imported.
"""
from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = {
    "generate": ("dashboard.generate", "write synthetic PC Phú Yên exports"),
    "build": ("dashboard.build", "validate exports, build and publish a new warehouse"),
    "sql": ("dashboard.sandbox", "run read-only SQL against the published warehouse"),
    "check": ("dashboard.check", "check every query and model file against the published warehouse"),
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m dashboard", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="{" + ",".join(COMMANDS) + "}")
    chosen = argv[0] if argv and argv[0] in COMMANDS else None
    for name, (module_name, help_text) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        if name == chosen:
            module = importlib.import_module(module_name)
            module.add_arguments(command)
    args = parser.parse_args(argv)
    return importlib.import_module(COMMANDS[args.command][0]).run(args)


if __name__ == "__main__":
    sys.exit(main())
